import Foundation
import Sweeps
import Testing

@Suite("Reading sweep files")
struct SweepSpecTests {
    @Test("what a sweep file leaves out takes the documented defaults")
    func defaults() throws {
        let spec = try sweepSpec("""
            pipeline: base2new
            base: {weights: /w/clip.safetensors}
            axes: {datasets: [oxford_pets]}
            """, file: "/sweeps/my_grid.yaml")
        #expect(spec.name == "my_grid")
        #expect(spec.pipeline == .base2new)
        #expect(spec.trainer == .cocoop)
        #expect(spec.ranksPerTrial == 1)
        #expect(spec.seeds == [1] && spec.shots.isEmpty && spec.configAxes.isEmpty)
        #expect(spec.configFile == nil && spec.configName == "default")
        #expect(spec.outputRoot.path == URL(fileURLWithPath: "output").path)
        #expect(spec.sweepDirectory.path == URL(fileURLWithPath: "output/sweeps/my_grid").path)
        #expect(spec.weights.path == "/w/clip.safetensors")
        #expect(spec.root.isEmpty && spec.loadEpoch == nil && spec.source == nil)
        #expect(spec.datasets.map(\.name) == ["oxford_pets"])
        #expect(spec.datasets[0].configFile?.path == URL(fileURLWithPath: "Configs/datasets/oxford_pets.yaml").path)
    }

    @Test("axes, base keys, dataset entries and $VARIABLES are read as written")
    func everyKey() throws {
        let spec = try sweepSpec("""
            name: grid
            pipeline: cross_dataset
            ranks_per_trial: 3
            output_root: ${OUT}/runs
            source: {name: src, config_file: $CFG/src.yaml, overrides: {OPTIM.LR: 0.5}}
            base:
              trainer: CoOp
              config_file: /cfg/trainers/coop_c16.yaml
              dataset_config_dir: /cfg/datasets
              weights: /w/clip.safetensors
              root: /data
              load_epoch: 4
              overrides: {OPTIM.MAX_EPOCH: 5}
            axes:
              datasets: [dtd, /other/eurosat.yaml]
              seeds: [3, 4]
              shots: 8
              TRAINER.COOP.N_CTX: [4, 16]
            """, environment: ["OUT": "/scratch", "CFG": "/cfg"])
        #expect(spec.name == "grid" && spec.pipeline == .crossDataset && spec.ranksPerTrial == 3)
        #expect(spec.outputRoot.path == "/scratch/runs")
        #expect(spec.trainer == .coop && spec.configName == "coop_c16" && spec.root == "/data")
        #expect(spec.loadEpoch == 4 && spec.seeds == [3, 4] && spec.shots == [8])
        #expect(spec.source?.name == "src" && spec.source?.configFile?.path == "/cfg/src.yaml")
        #expect(spec.source?.overrides.map(\.key) == ["OPTIM"], "dotted keys become nested mappings")
        #expect(spec.overrides.map(\.key) == ["OPTIM"])
        #expect(spec.datasets.map(\.name) == ["dtd", "eurosat"])
        #expect(spec.datasets.map { $0.configFile?.path } == ["/cfg/datasets/dtd.yaml", "/other/eurosat.yaml"])
        #expect(spec.configAxes.map(\.key) == ["TRAINER.COOP.N_CTX"])
        #expect(spec.configAxes.first?.values.count == 2)
    }

    @Test("errors name the file, the line and the key")
    func errors() throws {
        /// A valid sweep file with `axes` as given, then `tail`.
        func file(axes: String = "datasets: [dtd]", _ tail: String = "") -> String {
            "pipeline: base2new\nbase: {weights: /w}\naxes: {\(axes)}\n" + tail
        }
        _ = try sweepSpec(file())
        let cases: [(text: String, message: String)] = [
            (file("extra: 1\n"), "s.yaml:4: unknown key 'extra' in the sweep file "
                + "(known: name, pipeline, ranks_per_trial, output_root, base, axes, source)"),
            (file().replacingOccurrences(of: "base2new", with: "base2nu"),
             "s.yaml:1: 'pipeline' expects one of base2new, cross_dataset, train, found 'base2nu'"),
            (file(axes: "datasets: [dtd], seeds: [1, x]"), "s.yaml:3: 'axes.seeds' expects an integer >= 0, found 'x'"),
            ("pipeline: train\naxes: {datasets: [dtd]}\n",
             "s.yaml: 'base.weights' is required (the CLIP weights every trial loads)"),
            (file(axes: "datasets: [dtd], seeds: []"),
             "s.yaml: axis 'seeds' has no values, so the sweep has no trials"),
            (file(axes: "datasets: [dtd], lr: [1]"), "s.yaml:3: unknown key 'lr' in axes "
                + "(known: datasets, seeds, shots, a dotted config key such as OPTIM.LR)"),
            ("pipeline: train\nbase:\n  weights: ${NOPE}/w\naxes: {datasets: [dtd]}\n",
             "s.yaml:3: environment variable NOPE in '${NOPE}/w' is not set"),
            (file().replacingOccurrences(of: "base2new", with: "cross_dataset"),
             "s.yaml: 'source' is required (cross_dataset trains on this dataset and evaluates on axes.datasets)"),
            (file("source: dtd\n"),
             "s.yaml:4: 'source' expects no source (only cross_dataset has one), "
                + "found a source with pipeline base2new"),
            (file(axes: "datasets: [{config_file: /d.yaml}]"),
             "s.yaml: 'name' is required (the dataset entry at line 3 needs a name for paths and tables)"),
            (file(axes: "datasets: [{name: a/b}]"), "s.yaml:3: 'name' expects a folder name without '/', found 'a/b'"),
            ("pipeline: train\nbase: {weights: /w, trainer: CoCoOP}\naxes: {datasets: [dtd]}\n",
             "s.yaml:2: 'base.trainer' expects one of CoOp, CoCoOp, ZeroshotCLIP, ZeroshotCLIP2, found 'CoCoOP'"),
        ]
        for c in cases {
            let error = #expect(throws: SweepError.self, "\(c.text)") { try sweepSpec(c.text) }
            #expect(error?.description == c.message, "\(c.text)")
        }
    }
}
