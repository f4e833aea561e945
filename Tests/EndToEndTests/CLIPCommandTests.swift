import Foundation
import Testing
import TestSupport
import Support
import Tensor

/// The CLIP subcommands run as a user runs them: the built binary, its stdout and status.
@Suite struct CLIPCommandTests {
    static let weights = Cocoop.sharedFixtures.appendingPathComponent("clip_openai.safetensors").path

    @Test func tokenizeJSONMatchesClipTokenize() throws {
        let r = try Cocoop.run(["tokenize", "--json", "--context", "a photo of a cat."])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(obj["ids"] as? [Int] == [320, 1125, 539, 320, 2368, 269])
        let context = obj["context"] as! [Int]
        #expect(context.count == 77 && Array(context.prefix(8)) == [49406, 320, 1125, 539, 320, 2368, 269, 49407])
    }

    @Test func embedImageEqualsTheReferenceFeature() throws {
        // chelsea.png decoded, resized and cropped to 32 by the command itself.
        let image = Cocoop.fixtures.appendingPathComponent("preprocess/chelsea.png").path
        let r = try Cocoop.run(["embed", "--model", Self.weights, "--image", image,
                                "--text", "a photo of a cat.", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map {
            try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(lines.map { $0["kind"] as! String } == ["text", "image"])
        // Row 1 of the reference is chelsea (astronaut, chelsea, coffee, ...).
        let features = Cocoop.fixtures.appendingPathComponent("features/features.safetensors")
        let ref = Array(try SafetensorsFile(path: features.path).doubles("image/features")[96..<192])
        let f = lines[1]["features"] as! [Double]
        let err = normwiseError(f, ref)
        #expect(f.count == 96 && err < 1e-5, "normwise error \(err)")
    }

    @Test func embedMissingImageNamesThePath() throws {
        let r = try Cocoop.run(["embed", "--model", Self.weights, "--image", "/nonexistent/cat.jpg"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent/cat.jpg"))
    }

    @Test func missingWeightsNamePath() throws {
        let r = try Cocoop.run(["embed", "--model", "/nonexistent/clip", "--text", "x"])
        #expect(r.status != 0 && r.stderr.contains("/nonexistent/clip"), "\(r.stderr)")
    }

    @Test func zeroshotPrintsTopClasses() throws {
        let image = Cocoop.fixtures.appendingPathComponent("preprocess/astronaut.png").path
        let r = try Cocoop.run(["zeroshot", "--model", Self.weights, "--classnames", "cat,dog,astronaut",
                                "--top", "2", image])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasSuffix("astronaut.png") && lines[1].contains("%"))
    }

    @Test("zeroshot --dataset takes CoOp's template, --ensemble ZeroshotCLIP2's; an unknown dataset is named")
    func zeroshotTemplates() throws {
        let image = Cocoop.fixtures.appendingPathComponent("preprocess/astronaut.png").path
        func run(_ extra: [String]) throws -> ProcessResult {
            try Cocoop.run(["zeroshot", "--model", Self.weights, "--classnames", "cat,dog,astronaut"] + extra + [image])
        }
        let plain = try run([]), pets = try run(["--dataset", "OxfordPets"])
        let same = try run(["--template", "a photo of a {}, a type of pet."])
        let ensemble = try run(["--dataset", "OxfordPets", "--ensemble"])
        #expect(plain.status == 0 && pets.status == 0 && ensemble.status == 0, "\(ensemble.stderr)")
        #expect(pets.stdout == same.stdout && pets.stdout != plain.stdout && ensemble.stdout != pets.stdout)
        let bad = try run(["--dataset", "Pets"])
        #expect(bad.status == 2 && bad.stderr.contains("--dataset 'Pets' is none of CoOp's"), "\(bad.stderr)")
    }

    @Test func unknownCommandAndOptionAreUsageErrors() throws {
        #expect(try Cocoop.run(["frobnicate"]).status == 2)
        let r = try Cocoop.run(["tokenize", "--bogus", "x"])
        #expect(r.status == 2 && r.stderr.contains("--bogus"))
    }

    @Test func versionAndEnv() throws {
        #expect(try Cocoop.run(["--version"]).stdout.hasPrefix("cocoop "))
        let env = try Cocoop.run(["env"], environment: ["COCOOP_PACK_WEIGHTS": "on"]).stdout
        #expect(env.contains("OpenBLAS") && env.contains("MPI library") && env.contains("HDF5"))
        #expect(env.contains("packed weights        on ("), "\(env)")
        let off = try Cocoop.run(["env"], environment: ["COCOOP_PACK_WEIGHTS": "off"]).stdout
        #expect(off.contains("packed weights        off ("), "\(off)")
        let capped = try Cocoop.run(["env"], environment: ["COCOOP_SIMD": "baseline"]).stdout
        #expect(capped.contains("element-wise loops    baseline"), "\(capped)")
    }

    /// `bench loops`: a row per loop, a column per compiled copy the CPU runs (and their
    /// ratio when there are two), positive times.
    @Test func benchLoopsTimesEveryCopyOfEveryLoop() throws {
        let r = try Cocoop.run(["bench", "loops", "--reps", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let copies = SIMDLevel.compiledCopiesOnThisCPU.count
        for loop in ["QuickGELU forward with slope", "QuickGELU backward from output", "LayerNorm rows",
                     "LayerNorm rows, backward", "rounding to bfloat16", "attention blocks (query rows x heads)",
                     "attention blocks, backward"] where copies > 0 {
            guard let line = r.stdout.split(separator: "\n").first(where: { $0.hasPrefix("| \(loop) |") }) else {
                Issue.record("no row for \(loop): \(r.stdout)")
                continue
            }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let times = cells.dropFirst(2).prefix(copies).compactMap(Double.init)
            #expect(times.count == copies && times.allSatisfy { $0 > 0 }, "\(line)")
            #expect(cells.count == 2 + copies + (copies > 1 ? 1 : 0), "\(line)")
        }
        let zero = try Cocoop.run(["bench", "loops", "--reps", "0"])
        #expect(zero.status == 2 && zero.stderr.contains("--reps must be positive"), "\(zero.stderr)")
    }
}
