import Foundation
import Testing
import TestSupport

/// The distributed benchmarks under real mpirun: they run the step and the collectives as
/// training makes them and print one table row per measurement.
@Suite struct DistributedBenchTests {
    /// The numeric cells of the table rows that start with `label`.
    static func cells(_ out: String, row label: String) -> [Double] {
        guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("| \(label)") }) else { return [] }
        return line.split(separator: "|").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }

    @Test func collectivesReportsEachCollectiveOfTheStep() throws {
        let r = try MPIRun.run(np: 2, ["bench", "collectives", "--reps", "20"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("collectives on 2 rank(s), 20 repetitions"), "\(r.stdout)")
        for (row, floats) in [("barrier", 0.0), ("all-gather (features)", 512), ("all-gather (logits)", 501),
                              ("all-reduce (gradient)", 35_360)] {
            let c = Self.cells(r.stdout, row: row)
            #expect(c.count == 3 && c[0] == floats, "\(row): \(r.stdout)")
            // median >= best >= 0, both finite microsecond counts
            #expect(c.count == 3 && c[1] >= c[2] && c[2] >= 0 && c[1].isFinite, "\(row): \(r.stdout)")
        }
        #expect(r.stdout.contains("{\"ranks\": 2, \"collectives_per_step_s\": "), "\(r.stdout)")
    }

    @Test func collectivesRefusesANonPositiveRepetitionCount() throws {
        let r = try Cocoop.run(["bench", "collectives", "--reps", "0"])
        #expect(r.status == 2 && r.stderr.contains("--reps must be positive"), "\(r.status) \(r.stderr)")
    }

    @Test func splitStepBenchRunsThePromptsSplitOnTwoRanks() throws {
        let weights = Cocoop.sharedFixtures.appendingPathComponent("clip_openai.safetensors").path
        let r = try MPIRun.run(np: 2, ["bench", "train", "--split", "prompts", "--model", weights, "--classes", "7",
                                       "--batch", "1", "--steps", "2"], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        let c = Self.cells(r.stdout, row: "2 | 7 | 1 | prompts")
        // ranks, classes, batch, then (the "mean, best" cell does not parse) the timings and RSS
        #expect(c.count >= 8 && c[0] == 2 && c[1] == 7 && c[2] == 1, "\(r.stdout)")
        #expect(r.stdout.contains("\"ranks\": 2, \"classes\": 7, \"batch\": 1"), "\(r.stdout)")
    }
}
