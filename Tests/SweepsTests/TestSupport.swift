import Config
import Foundation
import Sweeps
import TestSupport

/// The package root (Tests/SweepsTests/<file> -> ../..).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// The shipped CoCoOp trainer config, as an absolute path.
let trainerConfig = packageRoot.appendingPathComponent("Configs/trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml")

/// A fresh temporary folder (the test removes it).
func temporaryFolder() throws -> URL { try TemporaryDirectory.create("cocoop-sweeps") }

/// Parses sweep-file text as if read from `file`.
func sweepSpec(_ text: String, file: String = "s.yaml", environment: [String: String] = [:]) throws -> SweepSpec {
    try SweepSpec.parse(YAMLReader.parse(text, file: file), environment: environment)
}

/// The `base:` block of a sweep on the shipped trainer and dataset configs (weights are never
/// opened by parsing or planning), plus `extra` lines indented under it.
func base(_ extra: String = "") -> String {
    """
    base:
      weights: /weights/clip.safetensors
      config_file: \(trainerConfig.path)
      dataset_config_dir: \(packageRoot.path)/Configs/datasets
    \(extra.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))

    """
}
