import Foundation
import Support
import Testing
import TestSupport
import TorchFormats

/// The acceptance test of the CoOp drop-in: CoOp's own shell scripts (copies in
/// Tests/Fixtures/coop_scripts, `python train.py` replaced by the cocoop binary) run in a
/// CoOp checkout's layout on tiny OxfordPets and ImageNet folders, with the tiny CLIP as
/// `ViT-B-16.pt` in a clip cache folder, and CoOp's parse_test_res.py finds every result
/// with the commands of CoOp's README.
@Suite(.serialized) struct CoOpScriptsTests {
    /// A CoOp checkout (scripts/, configs/, parse_test_res.py), the datasets and the CLIP cache.
    struct Checkout {
        let root: URL
        var coop: URL { root.appendingPathComponent("CoOp") }
        var data: URL { root.appendingPathComponent("data") }

        init() throws {
            root = try TemporaryDirectory.create("cocoop-coop-scripts")
            let fm = FileManager.default
            let scripts = Cocoop.fixtures.appendingPathComponent("coop_scripts")
            for original in ["coop/main.sh", "coop/zeroshot.sh", "cocoop/base2new_train.sh", "cocoop/base2new_test.sh",
                             "cocoop/xd_train.sh", "cocoop/xd_test.sh"] {
                let copy = original.replacingOccurrences(of: "/", with: "_")
                let to = coop.appendingPathComponent("scripts/" + original)
                try fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
                try fm.copyItem(at: scripts.appendingPathComponent(copy), to: to)
            }
            try fm.copyItem(at: scripts.appendingPathComponent("parse_test_res.py"),
                            to: coop.appendingPathComponent("parse_test_res.py"))
            // parse_test_res.py imports two helpers from dassl.utils.
            let dassl = root.appendingPathComponent("python/dassl")
            try fm.createDirectory(at: dassl, withIntermediateDirectories: true)
            try Data().write(to: dassl.appendingPathComponent("__init__.py"))
            try Data("""
            import os
            def check_isfile(fpath):
                return os.path.isfile(fpath)
            def listdir_nohidden(path, sort=False):
                items = [f for f in os.listdir(path) if not f.startswith(".")]
                return sorted(items) if sort else items
            """.utf8).write(to: dassl.appendingPathComponent("utils.py"))
            // CoOp's configs, for the tiny CLIP: 32 x 32 input, fp32; main.sh's 50 epochs cut to 2.
            let configs = Cocoop.packageRoot.appendingPathComponent("Configs")
            for name in ["oxford_pets", "imagenet"] {
                try install(configs.appendingPathComponent("datasets/\(name).yaml"), as: "datasets/\(name).yaml")
            }
            try install(configs.appendingPathComponent("trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml"),
                        as: "trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml")
            try install(configs.appendingPathComponent("trainers/CoOp/vit_b16_ep50.yaml"),
                        as: "trainers/CoOp/vit_b16_ep50.yaml", replacing: [("MAX_EPOCH: 50", "MAX_EPOCH: 2")])
            try install(configs.appendingPathComponent("trainers/CoOp/vit_b16.yaml"), as: "trainers/CoOp/vit_b16.yaml")
            try makeDatasets()
            // The tiny CLIP where clip.load keeps ViT-B/16 (MODEL.BACKBONE.NAME of the configs).
            let file = try SafetensorsFile(url: Cocoop.sharedFixtures.appendingPathComponent("clip_openai.safetensors"))
            let tensors = try file.names.map {
                NamedTensor(name: $0, shape: try file.shape($0), values: try file.floats($0))
            }
            try fm.createDirectory(at: clipDir, withIntermediateDirectories: true)
            try TorchSave.writeStateDict(tensors, to: clipDir.appendingPathComponent("ViT-B-16.pt"))
        }

        var clipDir: URL { root.appendingPathComponent("clip") }

        func install(_ source: URL, as name: String, replacing extra: [(String, String)] = []) throws {
            var text = try String(contentsOf: source, encoding: .utf8)
            for (old, new) in [("(224, 224)", "(32, 32)"), ("\"fp16\"", "\"fp32\"")] + extra {
                text = text.replacingOccurrences(of: old, with: new)
            }
            let to = coop.appendingPathComponent("configs/" + name)
            let fm = FileManager.default
            try fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: to)
        }

        /// oxford_pets/ (split_zhou_OxfordPets.json, 4 classes) and imagenet/ (classnames.txt,
        /// images/train and images/val, 2 classes) from the fixture images.
        func makeDatasets() throws {
            let fm = FileManager.default
            let sources = ["chelsea.png", "astronaut.png", "coffee.png", "bunny_01.png"]
            let classes = ["abyssinian", "american_bulldog", "beagle", "bengal"]
            let pets = data.appendingPathComponent("oxford_pets/images")
            try fm.createDirectory(at: pets, withIntermediateDirectories: true)
            var split: [String: [[Any]]] = ["train": [], "val": [], "test": []]
            for (label, (source, name)) in zip(sources, classes).enumerated() {
                for (i, part) in ["train", "train", "train", "val", "test", "test"].enumerated() {
                    let file = "\(name)_\(i).png"
                    try fm.copyItem(at: Cocoop.fixtures.appendingPathComponent("preprocess/\(source)"),
                                    to: pets.appendingPathComponent(file))
                    split[part]!.append([file, label, name])
                }
            }
            try JSONSerialization.data(withJSONObject: split)
                .write(to: data.appendingPathComponent("oxford_pets/split_zhou_OxfordPets.json"))
            let imagenet = data.appendingPathComponent("imagenet")
            for (wnid, source) in [("n01", "chelsea.png"), ("n02", "coffee.png")] {
                for (part, count) in [("train", 3), ("val", 2)] {
                    let folder = imagenet.appendingPathComponent("images/\(part)/\(wnid)")
                    try fm.createDirectory(at: folder, withIntermediateDirectories: true)
                    for i in 0..<count {
                        try fm.copyItem(at: Cocoop.fixtures.appendingPathComponent("preprocess/\(source)"),
                                        to: folder.appendingPathComponent("\(wnid)_\(i).png"))
                    }
                }
            }
            try Data("n01 tabby cat\nn02 espresso\n".utf8).write(to: imagenet.appendingPathComponent("classnames.txt"))
        }

        /// Runs `bash script args` in `directory` (CoOp's scripts: cocoop/ ones from their
        /// own folder, as they `cd ../..`; coop/main.sh from the checkout's root).
        func bash(_ script: String, _ args: [String], in directory: URL) throws -> ProcessResult {
            try Cocoop.run([script] + args, executable: URL(fileURLWithPath: "/bin/bash"),
                           environment: ["COOP_DATA": data.path, "COCOOP": try Cocoop.locateBinary().path,
                                         "COCOOP_CLIP_DIR": clipDir.path, "OPENBLAS_NUM_THREADS": "1"],
                           directory: directory, timeout: 600, isolatedFromMPI: true)
        }

        /// `python parse_test_res.py args` in the checkout (nil when python3 with numpy is missing).
        func parse(_ args: [String]) throws -> ProcessResult? {
            let r = try Cocoop.run(["python3", "parse_test_res.py"] + args,
                                   executable: URL(fileURLWithPath: "/usr/bin/env"),
                                   environment: ["PYTHONPATH": root.appendingPathComponent("python").path],
                                   directory: coop, timeout: 120)
            if r.status != 0 && (r.stderr.contains("No module named 'numpy'") || r.status == 127) { return nil }
            return r
        }

        /// The `accuracy` of `<folder>/results.json` as log.txt prints it (`%.1f`).
        func accuracy(_ folder: String) throws -> Double {
            let url = coop.appendingPathComponent(folder).appendingPathComponent("results.json")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
            return Double(String(format: "%.1f", try #require(json?["accuracy"] as? Double)))!
        }
    }

    @Test("CoOp's base2new, xd, main.sh and zeroshot.sh scripts run with cocoop for python; parse_test_res.py too")
    func coopScripts() throws {
        let c = try Checkout(); defer { try? FileManager.default.removeItem(at: c.root) }
        let cocoop = c.coop.appendingPathComponent("scripts/cocoop")
        let tail = "oxford_pets/shots_16/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1"

        let train = try c.bash("base2new_train.sh", ["oxford_pets", "1"], in: cocoop)
        #expect(train.status == 0, "\(train.transcript)")
        let test = try c.bash("base2new_test.sh", ["oxford_pets", "1"], in: cocoop)
        #expect(test.status == 0, "\(test.transcript)")
        let again = try c.bash("base2new_train.sh", ["oxford_pets", "1"], in: cocoop)
        #expect(again.stdout.contains("Oops! The results exist at output/base2new/train_base/\(tail)/seed1"))

        let logURL = c.coop.appendingPathComponent("output/base2new/train_base/\(tail)/seed1/log.txt")
        let log = try String(contentsOf: logURL, encoding: .utf8)
        #expect(log.contains("** Arguments **\n***************\nbackbone: \n"), "\(log.prefix(600))")
        #expect(log.contains("opts: ['DATASET.NUM_SHOTS', '16', 'DATASET.SUBSAMPLE_CLASSES', 'base']"))
        #expect(log.contains("epoch [10/10] batch [6/6]"))
        #expect(log.range(of: #"\nElapsed: \d+:\d\d:\d\d\n"#, options: .regularExpression) != nil)

        let xdTrain = try c.bash("xd_train.sh", ["1"], in: cocoop)
        #expect(xdTrain.status == 0, "\(xdTrain.transcript)")
        let xdTest = try c.bash("xd_test.sh", ["oxford_pets", "1"], in: cocoop)
        #expect(xdTest.status == 0, "\(xdTest.transcript)")

        // main.sh DATASET CFG CTP NCTX SHOTS CSC trains seeds 1-3; run again, it finds all three done.
        for round in 0..<2 {
            let main = try c.bash("scripts/coop/main.sh", ["oxford_pets", "vit_b16_ep50", "end", "16", "16", "False"],
                                  in: c.coop)
            #expect(main.status == 0, "\(main.transcript)")
            #expect(main.stdout.components(separatedBy: "Oops! The results exist").count == (round == 0 ? 1 : 4))
        }

        // zeroshot.sh DATASET CFG: ZeroshotCLIP with zsclip.py's template for OxfordPets.
        let zeroShot = try c.bash("scripts/coop/zeroshot.sh", ["oxford_pets", "vit_b16"], in: c.coop)
        #expect(zeroShot.status == 0, "\(zeroShot.transcript)")
        #expect(zeroShot.stdout.contains("Prompt template: a photo of a {}, a type of pet.\n"), "\(zeroShot.stdout)")

        // CoOp's README: parse_test_res.py on the seeds' parent folder (--test-log for eval-only runs).
        let checks: [(args: [String], runs: [String])] = [
            (["output/base2new/train_base/\(tail)"], ["output/base2new/train_base/\(tail)/seed1"]),
            (["output/base2new/test_new/\(tail)", "--test-log"], ["output/base2new/test_new/\(tail)/seed1"]),
            (["output/imagenet/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1_16shots"],
             ["output/imagenet/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1_16shots/seed1"]),
            (["output/evaluation/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1_16shots/oxford_pets", "--test-log"],
             ["output/evaluation/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1_16shots/oxford_pets/seed1"]),
            (["output/ZeroshotCLIP/vit_b16", "--test-log"], ["output/ZeroshotCLIP/vit_b16/oxford_pets"]),
            (["output/oxford_pets/CoOp/vit_b16_ep50_16shots/nctx16_cscFalse_ctpend"],
             (1...3).map { "output/oxford_pets/CoOp/vit_b16_ep50_16shots/nctx16_cscFalse_ctpend/seed\($0)" }),
        ]
        for check in checks {
            guard let r = try c.parse(check.args) else {
                print("CoOpScriptsTests: python3 with numpy is needed for parse_test_res.py; skipped"); return
            }
            #expect(r.status == 0, "\(check.args): \(r.transcript)")
            let accuracies = try check.runs.map { try c.accuracy($0) }
            for (run, accuracy) in zip(check.runs, accuracies) {
                #expect(r.stdout.contains("file: \(run)/log.txt. accuracy: \(String(format: "%.2f", accuracy))%."),
                        "\(check.args): \(r.stdout)")
            }
            let mean = accuracies.reduce(0, +) / Double(accuracies.count)
            #expect(r.stdout.contains("* accuracy: \(String(format: "%.2f", mean))% +- "), "\(r.stdout)")
        }
    }
}
