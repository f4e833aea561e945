import Foundation
import Testing

/// Dassl settings beyond CoOp's files: TEST.PER_CLASS_RESULT does what Dassl does; the
/// settings cocoop does not implement are refused by name instead of silently ignored.
@Suite(.serialized) struct DasslSettingsTests {
    @Test func perClassResultPrintsDasslsBlockAfterTheResult() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let r = try TrainingFixture.train(fx.arguments(output: out, extra: ["TEST.PER_CLASS_RESULT", "True"])
                                          .map { $0 == "CoCoOp" ? "ZeroshotCLIP" : $0 }, ranks: 2)
        #expect(r.status == 0, "\(r.stderr)")
        let log = try String(contentsOf: out.appendingPathComponent("log.txt"), encoding: .utf8)
        let lines = log.split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex(of: "=> per-class result"), "\(log)")
        #expect(lines[start - 1].hasPrefix("* macro_f1: "))
        // 6 test images: cat 2, astronaut 1, coffee 1, dog 2 (labels 0-3).
        let classes = Array(lines[(start + 1)..<(start + 5)])
        var correct = 0, accs: [Double] = []
        for (label, (name, total)) in [("cat", 2), ("astronaut", 1), ("coffee", 1), ("dog", 2)].enumerated() {
            let fields = classes[label].components(separatedBy: "\t")
            #expect(fields.count == 4 && fields[0] == "* class: \(label) (\(name))" && fields[1] == "total: \(total)",
                    "\(classes[label])")
            let c = try #require(Int(fields[2].dropFirst("correct: ".count)))
            correct += c
            accs.append(100 * Double(c) / Double(total))
            #expect(fields[3] == String(format: "acc: %.1f%%", accs.last!))
        }
        #expect(lines[start + 5] == String(format: "* average: %.1f%%", accs.reduce(0, +) / 4))
        let results = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: out.appendingPathComponent("results.json"))) as? [String: Any])
        #expect(results["correct"] as? Int == correct)
    }

    @Test(arguments: [
        (["OPTIM.NAME", "adam"], "OPTIM.NAME 'adam'"),
        (["OPTIM.STAGED_LR", "True"], "OPTIM.STAGED_LR"),
        (["DATALOADER.TRAIN_X.SAMPLER", "SequentialSampler"], "DATALOADER.TRAIN_X.SAMPLER 'SequentialSampler'"),
        (["TEST.COMPUTE_CMAT", "True"], "TEST.COMPUTE_CMAT"),
    ])
    func unimplementedSettingsAreRefusedByName(_ setting: [String], _ named: String) throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let r = try TrainingFixture.train(fx.arguments(output: out, extra: setting), ranks: 0)
        #expect(r.status == 1 && r.stderr.contains(named), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
