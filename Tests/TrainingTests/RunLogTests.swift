import Foundation
import Support
import Testing
@testable import Training

@Suite("RunLog and the run's output files")
struct RunLogTests {
    @Test("a full device is an error naming the file, never a trap")
    func fullDevice() throws {
        let full = try AppendFile(URL(fileURLWithPath: "/dev/full"))
        #expect(throws: OutputError(path: "/dev/full", operation: "write", reason: "No space left on device")) {
            try full.append("a line\n")
        }
    }

    @Test("an output folder that cannot be made names it and the system's reason, not Foundation's dump")
    func outputFolderBlockedByAFile() throws {
        let blocker = FileManager.default.temporaryDirectory
            .appendingPathComponent("cocoop-runlog-\(UUID().uuidString)")
        try Data("a file".utf8).write(to: blocker)
        defer { try? FileManager.default.removeItem(at: blocker) }
        let out = blocker.appendingPathComponent("output")
        #expect(throws: OutputError(path: out.path, operation: "create the output folder", reason: "Not a directory")) {
            _ = try RunLog(outputDir: out, isRoot: true, tensorboard: false)
        }
    }

    @Test("the first failed write is kept, later writes are dropped, check() throws it")
    func failureIsKept() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cocoop-runlog-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try RunLog(outputDir: dir, isRoot: true, tensorboard: false, echo: false)
        log.info("first")
        log.metrics([("step", .int(1))])
        try log.check()
        // The folder vanishes under the run: the atomic write of status.json cannot create its temporary.
        try FileManager.default.removeItem(at: dir)
        log.status([("state", .string("training"))])
        #expect(throws: OutputError.self) { try log.check() }
        let failure = try #require(log.failure as? OutputError)
        let name = URL(fileURLWithPath: failure.path).lastPathComponent
        #expect(name.hasPrefix(".status.json.\(getpid()).") && name.hasSuffix(".tmp"), "\(name)")
        #expect(failure.reason == "No such file or directory")
        log.info("after")  // dropped: the first failure stays the one reported
        #expect((log.failure as? OutputError) == failure)
    }

    @Test("files: false (the dry run) creates nothing")
    func dryRunWritesNothing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cocoop-runlog-\(UUID().uuidString)")
        let log = try RunLog(outputDir: dir, isRoot: true, tensorboard: true, echo: false, files: false)
        log.info("x")
        log.status([("state", .string("x"))])
        #expect(!FileManager.default.fileExists(atPath: dir.path))
    }

    @Test("writeAtomically replaces the file whole and leaves no temporary")
    func atomic() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cocoop-runlog-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("status.json")
        try writeAtomically("old\n", to: file)
        try writeAtomically("new\n", to: file)
        #expect(try String(contentsOf: file, encoding: .utf8) == "new\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["status.json"])
    }
}

@Suite("The training step's vocabulary")
struct StepVocabularyTests {
    @Test("StepReduction's named slots round-trip through the float buffer the all-reduce sums")
    func reduction() {
        var r = StepReduction()
        r.lossSum = 3.5; r.correct = 2; r.samples = 4; r.stopRequested = true; r.failedRanks = 1
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: StepReduction.slots)
        defer { buffer.deallocate() }
        r.store(into: buffer)
        let back = StepReduction(loading: buffer)
        #expect(back.lossSum == 3.5 && back.correct == 2 && back.samples == 4)
        #expect(back.stopRequested && back.failedRanks == 1)
        #expect(back.meanLoss == 0.875 && back.accuracy == 50)
        #expect(StepReduction().meanLoss == 0 && StepReduction().accuracy == 0)
    }

    @Test("--resume words parse once into a policy")
    func resumePolicy() {
        #expect(ResumePolicy("") == .auto && ResumePolicy("auto") == .auto && ResumePolicy("never") == .never)
        #expect(ResumePolicy("/runs/a") == .from(URL(fileURLWithPath: "/runs/a")))
    }
}
