import Foundation
import Testing
import TestSupport
import Gunzip

/// zlib's inflater and file reader: what the tokeniser's BPE file and the demo's IDX files need.
@Suite("Gzip")
struct GzipTests {
    /// `gzip.compress(b"hello\n", mtime=0)` from Python: a real (fixed Huffman) deflate stream.
    static let hello: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 203, 72, 205, 201, 201, 231, 2, 0,
                                 32, 48, 58, 54, 6, 0, 0, 0]

    @Test("Deflated and stored members inflate; concatenated members are decoded one after another")
    func decompress() throws {
        #expect(try Gzip.decompress(Self.hello) == Array("hello\n".utf8))
        #expect(try Gzip.decompress(storedGzip(Array("stored".utf8))) == Array("stored".utf8))
        let both = Self.hello + storedGzip(Array("world\n".utf8))
        #expect(try Gzip.decompress(both) == Array("hello\nworld\n".utf8))
    }

    @Test("Empty, truncated and corrupt input throw, never return partial data")
    func badInput() {
        #expect(throws: GzipError.truncated(bytesRead: 0)) { try Gzip.decompress([]) }
        #expect(throws: GzipError.truncated(bytesRead: 10)) { try Gzip.decompress(Array(Self.hello.prefix(10))) }
        var badCRC = Self.hello
        badCRC[badCRC.count - 8] ^= 0xFF
        #expect(throws: GzipError.self) { try Gzip.decompress(badCRC) }
        #expect(throws: GzipError.self) { try Gzip.decompress(Array("not gzip at all".utf8)) }
    }

    @Test("readFile inflates .gz files and passes plain files through")
    func readFile() throws {
        try TemporaryDirectory.with("gunzip-tests") { dir in
            let gz = dir.appendingPathComponent("hello.gz"), plain = dir.appendingPathComponent("plain")
            try Data(Self.hello).write(to: gz)
            try Data("plain bytes".utf8).write(to: plain)
            #expect(try Gzip.readFile(atPath: gz.path) == Array("hello\n".utf8))
            #expect(try Gzip.readFile(atPath: plain.path) == Array("plain bytes".utf8))
        }
    }

    @Test("readFile names the path of a missing or corrupt file")
    func readFileErrors() throws {
        try TemporaryDirectory.with("gunzip-tests") { dir in
            let missing = dir.appendingPathComponent("missing.gz").path
            #expect(throws: GzipError.cannotOpen(path: missing)) { try Gzip.readFile(atPath: missing) }
            var badCRC = Self.hello
            badCRC[badCRC.count - 8] ^= 0xFF
            let corrupt = dir.appendingPathComponent("corrupt.gz")
            try Data(badCRC).write(to: corrupt)
            do {
                _ = try Gzip.readFile(atPath: corrupt.path)
                Issue.record("a bad CRC was accepted")
            } catch let error as GzipError {
                guard case .corruptFile(let path, _) = error else { Issue.record("wrong error \(error)"); return }
                #expect(path == corrupt.path && error.description.contains(corrupt.path))
            }
        }
    }
}
