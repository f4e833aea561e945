import Foundation
import Testing
import TestSupport

/// One run per output folder: a second run stops at once naming the holder; a crashed
/// holder's lock does not block the rerun.
@Suite(.serialized) struct OutputLockTests {
    @Test(arguments: [0, 2])
    func aSecondRunOnTheSameFolderStopsNamingTheFirst(ranks: Int) throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let args = fx.arguments(output: out, epochs: 2)
        let first = try TrainingTests.launch(args, ranks: ranks, delayMs: 300)
        defer { if first.isRunning { first.terminate() } }
        #expect(TrainingTests.waitForStep(out, 1, process: first), "the first run never reached step 1")
        let second = try TrainingFixture.train(args, ranks: ranks)
        #expect(second.status == 1, "exit \(second.status): \(second.stderr)")
        #expect(second.stderr.contains("cannot use the output folder \(out.path): another run is writing to it"),
                "\(second.stderr)")
        #expect(second.stderr.contains("PID "), "\(second.stderr)")
        first.waitUntilExit()
        #expect(first.terminationStatus == 0, "the first run failed: exit \(first.terminationStatus)")
        let log = try String(contentsOf: out.appendingPathComponent("log.txt"), encoding: .utf8)
        // The second run wrote nothing: one run's header in log.txt, no resume.
        #expect(log.components(separatedBy: "cocoop ").count - 1 == 1 && !log.contains("Resuming"), "\(log)")
    }

    @Test func aKilledRunsLockDoesNotBlockTheRerun() throws {
        let fx = try TrainingFixture(); defer { fx.remove() }
        let out = fx.root.appendingPathComponent("out")
        let args = fx.arguments(output: out, epochs: 2, extra: ["RUNTIME.CHECKPOINT.STEP_FREQ", "1"])
        let job = try TrainingTests.launch(args, ranks: 0, delayMs: 300)
        #expect(TrainingTests.waitForStep(out, 2, process: job))
        kill(job.processIdentifier, SIGKILL)
        job.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(".cocoop.lock").path))
        let rerun = try TrainingFixture.train(args, ranks: 0)
        #expect(rerun.status == 0 && rerun.stdout.contains("Resuming from"), "\(rerun.stderr)")
    }
}
