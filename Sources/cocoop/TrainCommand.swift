import CLIP
import Config
import Distributed
import Foundation
import Tensor
import Training

/// `cocoop train`: the reference's train.py, distributed over MPI ranks.
enum TrainCommand: Command {
    static let name = "train"
    static let summary = "train and/or evaluate CoCoOp, CoOp or zero-shot CLIP (alone or under mpirun)"
    static let usage = """
    usage: [mpirun -np N] cocoop train --weights CLIP --root DATA --dataset-config-file F --config-file F
                                       --output-dir DIR [--trainer CoCoOp|CoOp|ZeroshotCLIP|ZeroshotCLIP2] [--seed S]
                                       [--resume auto|never|DIR] [--no-train]
                                       [--eval-only --model-dir DIR --load-epoch E] [KEY VALUE ...]

    The flags of CoOp's train.py, so its shell scripts port line for line:
      --root DIR                 DATASET.ROOT (the folder holding the dataset folders)
      --dataset-config-file F    e.g. Configs/datasets/oxford_pets.yaml (merged first)
      --config-file F            e.g. Configs/trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml
      --output-dir DIR           OUTPUT_DIR: log.txt, metrics.jsonl, status.json, results.json,
                                 config.yaml, tensorboard/, checkpoints/
      --trainer NAME             TRAINER.NAME;  --seed S  SEED
      --source-domains A [B ...], --target-domains A [B ...], --transforms A [B ...]
                                 one or more words each (train.py's nargs="+"), up to the next
                                 --flag or upper-case config key;  --backbone, --head  (as train.py)
      --eval-only                evaluate only: the checkpoint of --load-epoch in --model-dir
      --no-train                 dry run: load and check the config, data, weights and the
                                 checkpoint it would start from; train, evaluate, write nothing
      --resume auto|never|DIR    auto (default): continue from the newest valid checkpoint in
                                 OUTPUT_DIR/checkpoints; never: refuse if there is one; DIR: take it from DIR
                                 (or DIR/checkpoints); a DIR with no checkpoint is an error
      --weights PATH             CLIP weights: Hugging Face folder, .safetensors, or PyTorch .pt
                                 (clip.load's TorchScript), .pth, .bin (OpenAI or HF names); default
                                 MODEL.BACKBONE.WEIGHTS, else MODEL.BACKBONE.NAME found as clip.load
                                 does: $COCOOP_CLIP_DIR/ViT-B-16.pt, ~/.cache/clip/ViT-B-16.pt, then
                                 the Hugging Face hub cache (models--openai--clip-vit-base-patch16)
      KEY VALUE ...              config overrides, e.g. DATASET.NUM_SHOTS 16 DATASET.SUBSAMPLE_CLASSES base
    DATALOADER.TRAIN_X.BATCH_SIZE is the global batch, split across ranks.

    Exit status: 0 done; 1 error (the message names the file, key or tensor); 2 bad command
    line; 3 watchdog (no step finished in RUNTIME.WATCHDOG_SECONDS); 4 loss became NaN/Inf;
    75 stopped by SIGTERM/SIGUSR1/SIGINT after writing a checkpoint (rerun to resume).
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["root", "seed", "trainer", "dataset-config-file", "config-file",
                                             "output-dir", "model-dir", "load-epoch", "resume", "weights",
                                             "backbone", "head"],
                              boolean: ["eval-only", "no-train"],
                              multiple: ["source-domains", "target-domains", "transforms"])
        guard a.positional.count % 2 == 0 else {
            throw UsageError("config overrides come in KEY VALUE pairs; got \(a.positional.count) words: "
                             + "\(a.positional.joined(separator: " "))")
        }
        StopSignals.install()
        let comm: Communicator = MPIRuntime.isUnderMPIRun ? try MPICommunicator.world() : SingleProcessCommunicator()
        defer { if MPIRuntime.isActive { try? MPIRuntime.finalize() } }
        do {
            return try runRanked(a, comm: comm)
        } catch let e as TrainingError {
            if case .stopped = e { if comm.isRoot { printError("cocoop train: \(e)") }; return ExitStatus.preempted }
            if comm.isRoot { printError("cocoop train: error: \(e)") }
            if case .nonFiniteLoss = e { return ExitStatus.nonFiniteLoss }
            return ExitStatus.failure
        } catch {
            // Every rank meets the same bad input, and rank 0 speaks for all; a rank that
            // failed alone speaks for itself, and the others (PeerRankFailed) stay quiet.
            if error is PeerRankFailed { return ExitStatus.failure }
            if comm.isRoot || !(error is ConfigError) { printError("cocoop train: error: \(error)") }
            return ExitStatus.failure
        }
    }

    /// The command line as train.py's argparse namespace prints it (Python's `str` of each
    /// value: None, True/False, lists as `['a', 'b']`), plus our --weights.
    static func namespace(_ a: Arguments) -> [(name: String, value: String)] {
        func list(_ words: [String]) -> String { "[" + words.map { "'\($0)'" }.joined(separator: ", ") + "]" }
        var out: [(name: String, value: String)] = []
        for name in ["root", "output-dir", "resume", "config-file", "dataset-config-file", "trainer", "backbone",
                     "head", "model-dir", "weights"] {
            out.append((name.replacingOccurrences(of: "-", with: "_"), a.value(name) ?? ""))
        }
        out.append(("seed", a.value("seed") ?? "-1"))
        out.append(("load_epoch", a.value("load-epoch") ?? "None"))
        for name in ["source-domains", "target-domains", "transforms"] {
            out.append((name.replacingOccurrences(of: "-", with: "_"), a.options[name].map(list) ?? "None"))
        }
        out.append(("eval_only", a.has("eval-only") ? "True" : "False"))
        out.append(("no_train", a.has("no-train") ? "True" : "False"))
        out.append(("opts", list(a.positional)))
        return out
    }

    static func runRanked(_ a: Arguments, comm: Communicator) throws -> Int32 {
        let seed = try a.value("seed").map { v -> Int in
            guard let s = Int(v) else { throw UsageError("--seed expects an integer, got '\(v)'") }
            return s
        }
        // argparse's nargs="+": `--transforms a b` (and, as before, one quoted "a b").
        let split = { (name: String) -> [String]? in
            a.options[name].map { $0.flatMap { $0.split(separator: " ").map(String.init) } }
        }
        let flags = CommandLineFlags(root: a.value("root"), outputDir: a.value("output-dir"), resume: nil, seed: seed,
                                     sourceDomains: split("source-domains"),
                                     targetDomains: split("target-domains"),
                                     transforms: split("transforms"), trainer: a.value("trainer"),
                                     backbone: a.value("backbone"), head: a.value("head"))
        let config = try RunConfig.resolve(datasetConfigFile: a.value("dataset-config-file")
                                               .map { URL(fileURLWithPath: $0) },
                                           configFile: a.value("config-file").map { URL(fileURLWithPath: $0) },
                                           flags: flags, overrides: a.positional)
        let weightsPath = a.value("weights") ?? config.model.backbone.weights
        let weights: URL
        if !weightsPath.isEmpty {
            weights = URL(fileURLWithPath: weightsPath)
        } else if !config.model.backbone.name.isEmpty {
            weights = try CLIPWeights.locate(modelNamed: config.model.backbone.name)  // as clip.load finds it
        } else {
            throw UsageError("--weights PATH (or MODEL.BACKBONE.WEIGHTS, or MODEL.BACKBONE.NAME) is required")
        }
        var options = RunOptions(weights: weights)
        options.evalOnly = a.has("eval-only")
        options.modelDir = a.value("model-dir").map { URL(fileURLWithPath: $0) }
        options.loadEpoch = try a.value("load-epoch").map { v in
            guard let e = Int(v) else { throw UsageError("--load-epoch expects an integer, got '\(v)'") }
            return e
        }
        options.resume = ResumePolicy(a.value("resume") ?? config.resume)
        options.dryRun = a.has("no-train")
        options.arguments = namespace(a)
        try TrainingJob.run(config: config, options: options, comm: comm, softwareVersion: cocoopVersion)
        return ExitStatus.success
    }
}
