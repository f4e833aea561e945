import Foundation
import Support
import Testing

/// Foundation's file errors become the system's reason, not "(NSCocoaErrorDomain error 512.)".
@Suite("FileFailure")
struct FileFailureTests {
    func caught(_ body: () throws -> Void) -> Error? {
        do { try body(); return nil } catch { return error }
    }

    @Test("the errno under a Foundation error is what the message says")
    func underlyingErrno() throws {
        let blocker = FileManager.default.temporaryDirectory.appendingPathComponent("cocoop-ff-\(UUID().uuidString)")
        try Data("a file".utf8).write(to: blocker)
        defer { try? FileManager.default.removeItem(at: blocker) }
        let mkdir = try #require(caught {
            try FileManager.default.createDirectory(at: blocker.appendingPathComponent("sub"),
                                                    withIntermediateDirectories: true)
        })
        #expect(FileFailure.reason(mkdir) == "Not a directory")
        let read = try #require(caught { _ = try Data(contentsOf: FileManager.default.temporaryDirectory) })
        #expect(FileFailure.reason(read) == "Is a directory")
    }

    @Test("Cocoa codes without an errno and POSIX errors are named")
    func cocoaCodes() {
        #expect(FileFailure.reason(CocoaError(.fileWriteVolumeReadOnly)) == "Read-only file system")
        #expect(FileFailure.reason(CocoaError(.fileWriteOutOfSpace)) == "No space left on device")
        #expect(FileFailure.reason(POSIXError(.EROFS)) == "Read-only file system")
    }
}
