import Foundation
import Testing
import TestSupport

/// Every input a fuzzer found a bug with (Tests/Fuzz/regressions/TARGET/) goes through the
/// plain build of the harness: each must be refused or accepted, in time, without a crash.
@Suite struct FuzzRegressionTests {
    static let regressions = Cocoop.packageRoot.appendingPathComponent("Tests/Fuzz/regressions")

    @Test("Past fuzzing finds are refused or read, never a crash or a hang")
    func regressionInputsReplay() throws {
        let harness = try Cocoop.locateBinary().deletingLastPathComponent().appendingPathComponent("cocoop-fuzz")
        let fm = FileManager.default
        let targets = try fm.contentsOfDirectory(atPath: Self.regressions.path).sorted()
        #expect(!targets.isEmpty)
        for target in targets {
            let folder = Self.regressions.appendingPathComponent(target)
            let files = try fm.contentsOfDirectory(atPath: folder.path).sorted()
                .map { folder.appendingPathComponent($0).path }
            let result = try Cocoop.run([target] + files, executable: harness, timeout: 60)
            #expect(result.status == 0 && !result.timedOut, "\(target): \(result.transcript)")
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == files.count, "\(target): \(result.transcript)")
            for line in lines {
                #expect(line.contains(": refused: ") || line.hasSuffix(": accepted"), "\(line)")
            }
        }
    }

    @Test("The checkpoint that hung HDF5 (a free-space object of size 0) is refused naming the heap")
    func zeroSizedGlobalHeapObject() throws {
        let harness = try Cocoop.locateBinary().deletingLastPathComponent().appendingPathComponent("cocoop-fuzz")
        let file = Self.regressions.appendingPathComponent("checkpoint/free-space-object-of-size-0.h5").path
        let result = try Cocoop.run(["checkpoint", file], executable: harness, timeout: 60)
        #expect(result.stdout.contains("global heap collection at byte 12580 cannot be read"), "\(result.transcript)")
    }
}
