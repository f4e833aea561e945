import Checkpoint
import CLIP
import Config
import Datasets
import Foundation
import Imaging
import Support
import TorchFormats

/// One reader under fuzzing: a name (`Scripts/fuzz.sh NAME`) and what one input does to it.
///
/// Every reader must either accept the bytes or throw; a crash, a hang (libFuzzer's
/// `-timeout`) or an address-sanitizer report is a bug. Readers that take a path get the
/// input written to one scratch file per process.
struct FuzzTarget {
    let name: String
    let run: (UnsafeRawBufferPointer) throws -> Void

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "safetensors") { bytes in
            let file = try SafetensorsFile(path: try Scratch.write(bytes, suffix: ".safetensors"))
            for name in file.names { _ = try file.rawBytes(name).reduce(0, &+) }
        },
        FuzzTarget(name: "clip-weights") { bytes in
            _ = try CLIPWeights.load(from: URL(fileURLWithPath: try Scratch.write(bytes, suffix: ".safetensors")))
        },
        FuzzTarget(name: "config") { bytes in
            var config = RunConfig.defaults
            try config.merge(yaml: String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml")
            try config.validate()
            _ = config.yaml()
        },
        FuzzTarget(name: "split") { bytes in
            let path = try Scratch.write(bytes, suffix: ".json")
            _ = try SplitFile.read(URL(fileURLWithPath: path), imageRoot: URL(fileURLWithPath: "/nonexistent-root"))
        },
        FuzzTarget(name: "checkpoint") { bytes in
            let contents = try Checkpoint.load(from: URL(fileURLWithPath: try Scratch.write(bytes, suffix: ".h5")))
            try contents.validate()
        },
        FuzzTarget(name: "pack") { bytes in
            let pack = try PackedDataset(contentsOf: URL(fileURLWithPath: try Scratch.write(bytes, suffix: ".h5")))
            try pack.verifyChecksum()
            for index in 0..<min(pack.count, 4) { _ = try pack.encodedImage(at: index) }
        },
        FuzzTarget(name: "image") { bytes in
            _ = try ImageDecoder.decode(bytes: bytes, name: "fuzz-input")
        },
        FuzzTarget(name: "tokenizer") { bytes in
            let tokenizer = try Tokenizer.shared()
            let text = String(decoding: bytes, as: UTF8.self)
            _ = tokenizer.decode(tokenizer.encode(text))
            _ = try tokenizer.tokenize(text, contextLength: 77, truncate: true)
        },
        FuzzTarget(name: "weight-cache") { bytes in
            // The node cache's two file kinds (their readers take the mapped bytes).
            _ = BFloat16WeightCache.matrixCount(ofFile: bytes)
            _ = PackedWeightFile.dataBytes(bytes)
        },
        FuzzTarget(name: "torch") { bytes in
            let file = try TorchFile(path: try Scratch.write(bytes, suffix: ".pt"))
            let stateDict = try? TorchStateDict(file: file)
            for name in stateDict?.names ?? [] { _ = try stateDict?.floats(name) }
        },
    ]
}

/// The bundled tokeniser, built once per process.
enum Tokenizer {
    nonisolated(unsafe) private static var cached: CLIPTokenizer?

    static func shared() throws -> CLIPTokenizer {
        if let cached { return cached }
        let made = try CLIPTokenizer.bundled()
        cached = made
        return made
    }
}

/// The one scratch file of this process, rewritten for every input.
enum Scratch {
    static let folder: String = {
        let path = NSTemporaryDirectory() + "cocoop-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static func write(_ bytes: UnsafeRawBufferPointer, suffix: String) throws -> String {
        let path = folder + "/input" + suffix
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
