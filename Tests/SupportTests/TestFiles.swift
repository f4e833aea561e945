import Foundation
@testable import Support

/// Paths and temporary files shared by the Support tests.
enum TestFiles {
    /// `Tests/Fixtures/weights`.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("weights")
    /// `../shared/fixtures` relative to the package root (large files live there).
    static let sharedFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared").appendingPathComponent("fixtures")

    /// Writes a file made of an explicit 8-byte header length, header text and data bytes.
    @discardableResult
    static func writeRaw(_ folder: URL, _ name: String, header: String, data: [UInt8],
                         headerLength: UInt64? = nil) throws -> URL {
        let headerBytes = Array(header.utf8)
        var bytes: [UInt8] = []
        let length = headerLength ?? UInt64(headerBytes.count)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
        bytes += headerBytes + data
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// The error thrown by `body`, or nil.
    static func error(_ body: () throws -> Void) -> Error? {
        do { try body(); return nil } catch { return error }
    }
}
