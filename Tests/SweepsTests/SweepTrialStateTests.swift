import Foundation
import Support
import Testing
@testable import Sweeps

@Suite("Trial records and the sweep report")
struct SweepTrialStateTests {
    static let record = SweepTrialRecord(status: .stopped, attempts: 2, started: "2024-05-01T10:00:00Z",
                                         finished: "2024-05-01T10:05:00Z", seconds: 300.5, error: nil,
                                         group: 1, ranks: 2)

    func recordFile(_ folder: URL) -> URL { folder.appendingPathComponent(SweepTrialRecord.fileName) }

    @Test("sweep_trial.json keeps its layout and reads back to the same record")
    func recordRoundTrip() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.record.write(in: folder)
        let text = try String(contentsOf: recordFile(folder), encoding: .utf8)
        #expect(text == """
            {
              "status": "stopped",
              "attempts": 2,
              "started": "2024-05-01T10:00:00Z",
              "finished": "2024-05-01T10:05:00Z",
              "seconds": 300.5,
              "error": null,
              "group": 1,
              "ranks": 2
            }

            """)
        let back = try #require(SweepTrialRecord.read(in: folder))
        #expect(back.status == .stopped && back.attempts == 2 && back.started == "2024-05-01T10:00:00Z")
        #expect(back.finished == "2024-05-01T10:05:00Z" && back.seconds == 300.5 && back.error == nil)
        #expect(back.group == 1 && back.ranks == 2)
    }

    @Test("every status is written as its raw value and read back", arguments: SweepTrialStatus.allCases)
    func statusRoundTrip(_ status: SweepTrialStatus) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var r = Self.record
        r.status = status
        r.error = "why"
        try r.write(in: folder)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: recordFile(folder))) as? [String: Any]
        #expect(json?["status"] as? String == status.rawValue)
        #expect(SweepTrialRecord.read(in: folder)?.status == status)
        #expect(SweepTrialRecord.read(in: folder)?.error == "why")
    }

    @Test("the raw values are the strings sweep_trial.json has always held")
    func rawValues() {
        #expect(SweepTrialStatus.allCases.map(\.rawValue) == ["running", "done", "failed", "skipped", "stopped"])
    }

    @Test("a record with an unknown status, bad JSON or no file reads as no record")
    func unreadableRecords() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(SweepTrialRecord.read(in: folder) == nil)
        for text in ["{\"status\": \"paused\", \"attempts\": 3}", "{\"status\": 1}", "{\"attempts\": 3}", "{not json"] {
            try text.write(to: recordFile(folder), atomically: true, encoding: .utf8)
            #expect(SweepTrialRecord.read(in: folder) == nil, "\(text)")
        }
        // Missing optional fields and an integer number of seconds are fine.
        try "{\"status\": \"done\", \"seconds\": 7}".write(to: recordFile(folder), atomically: true, encoding: .utf8)
        let r = try #require(SweepTrialRecord.read(in: folder))
        #expect(r.status == .done && r.seconds == 7 && r.attempts == 0 && r.started.isEmpty && r.finished == nil)
    }

    @Test("the report reads each trial's status from its folder and record")
    func report() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let plan = try SweepPlan(spec: sweepSpec("""
            pipeline: train
            output_root: \(out.path)
            \(base())
            axes: {datasets: [dtd], seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9]}
            """))
        let t = plan.trials
        // 0: finished; 1: results of another configuration; 2-7: records without results; 8: nothing.
        try t[0].config.yaml().write(to: t[0].outputDir.appendingPathComponent("config.yaml").creatingFolder(),
                                     atomically: true, encoding: .utf8)
        try "{\"accuracy\": 81.25, \"macro_f1\": 80}".write(to: t[0].outputDir.appendingPathComponent("results.json"),
                                                           atomically: true, encoding: .utf8)
        var other = t[1].config
        other.optim.lr *= 2
        try other.yaml().write(to: t[1].outputDir.appendingPathComponent("config.yaml").creatingFolder(),
                               atomically: true, encoding: .utf8)
        try "{\"accuracy\": 50}".write(to: t[1].outputDir.appendingPathComponent("results.json"),
                                       atomically: true, encoding: .utf8)
        let statuses: [SweepTrialStatus] = [.running, .done, .failed, .skipped, .stopped]
        for (trial, status) in zip(t[2...], statuses) {
            var r = Self.record
            r.status = status
            r.error = status == .failed ? "it broke" : nil
            try r.write(in: trial.outputDir)
        }
        try "{\"status\": \"paused\", \"attempts\": 3}".write(to: recordFile(t[7].outputDir).creatingFolder(),
                                                             atomically: true, encoding: .utf8)

        let report = try SweepReport(plan: plan)
        #expect(report.entries.map(\.status) == [.done, .mismatch, .interrupted, .interrupted, .failed, .skipped,
                                                 .stopped, .pending, .pending])
        #expect(report.entries[0].accuracy == 81.25 && report.entries[0].macroF1 == 80)
        #expect(report.entries[1].error?.contains("OPTIM.LR") == true, "\(String(describing: report.entries[1].error))")
        #expect(report.entries[4].error == "it broke" && report.entries[4].attempts == 2)
        #expect(report.entries[7].attempts == 0, "an unreadable record counts no attempts")
        #expect(report.counts.map(\.0) == [.done, .pending, .interrupted, .stopped, .failed, .skipped, .mismatch])
        #expect(report.counts.map(\.1) == [1, 2, 2, 1, 1, 1, 1])
        #expect(report.summary.tables.first?.rows.first?.stats.first?.values == [81.25])
        guard case .object(let fields) = report.json,
              case .object(let counts)? = fields.first(where: { $0.0 == "counts" })?.1 else {
            Issue.record("no counts in \(report.json)"); return
        }
        #expect(counts.map(\.0) == ["done", "pending", "interrupted", "stopped", "failed", "skipped", "mismatch"])
    }

    @Test("a trial result the group's ranks exchanged decodes, or is an internal error naming the value")
    func exchangedResults() throws {
        for result in [SweepRunner.TrialResult.done, .alreadyDone, .failed, .skipped, .stopped] {
            #expect(try SweepRunner.TrialResult(exchanged: result.rawValue, by: "test") == result)
        }
        let error = #expect(throws: InternalError.self) {
            try SweepRunner.TrialResult(exchanged: 9, by: "the test")
        }
        #expect(error?.description.contains("the test is 9") == true, "\(String(describing: error))")
    }
}

extension URL {
    /// The URL, after creating the folder that holds it.
    func creatingFolder() throws -> URL {
        try FileManager.default.createDirectory(at: deletingLastPathComponent(), withIntermediateDirectories: true)
        return self
    }
}
