import Foundation

// MARK: - Test-only safetensors reader
//
// A minimal reader for the fixture files (8-byte little-endian header length, JSON header,
// raw little-endian data). TEST-ONLY: to be replaced by the project's real safetensors
// reader once it exists.

/// Errors of the test-only fixture reader; each names the file and tensor.
enum FixtureError: Error, CustomStringConvertible {
    case unreadable(String)
    case badHeader(String, String)
    case missing(String, String)
    case wrongType(String, String, expected: String, found: String)

    var description: String {
        switch self {
        case let .unreadable(path): return "cannot read fixture \(path)"
        case let .badHeader(path, why): return "bad safetensors header in \(path): \(why)"
        case let .missing(path, name): return "tensor '\(name)' not in \(path)"
        case let .wrongType(path, name, expected, found):
            return "tensor '\(name)' in \(path): expected \(expected), found \(found)"
        }
    }
}

/// Named arrays of one safetensors file, read whole into memory.
struct FixtureArrays {
    struct Entry {
        let dtype: String
        let shape: [Int]
        let range: Range<Int>
    }

    let path: String
    let entries: [String: Entry]
    private let data: Data
    private let dataStart: Int

    init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path), data.count >= 8 else {
            throw FixtureError.unreadable(path)
        }
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        guard headerLength > 0, 8 + headerLength <= data.count else {
            throw FixtureError.badHeader(path, "header length \(headerLength)")
        }
        let json = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength)))
        guard let header = json as? [String: Any] else { throw FixtureError.badHeader(path, "not an object") }
        var entries: [String: Entry] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int],
                  offsets.count == 2, offsets[0] <= offsets[1]
            else { throw FixtureError.badHeader(path, "entry \(name)") }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        self.entries = entries
        self.data = data
        self.dataStart = 8 + headerLength
    }

    func entry(_ name: String, dtype: String) throws -> Entry {
        guard let entry = entries[name] else { throw FixtureError.missing(path, name) }
        guard entry.dtype == dtype else {
            throw FixtureError.wrongType(path, name, expected: dtype, found: entry.dtype)
        }
        return entry
    }

    func shape(_ name: String) throws -> [Int] {
        guard let entry = entries[name] else { throw FixtureError.missing(path, name) }
        return entry.shape
    }

    /// A `U8` array, row-major.
    func uint8(_ name: String) throws -> [UInt8] {
        let entry = try entry(name, dtype: "U8")
        return [UInt8](data[(dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound)])
    }

    /// An `F32` array, row-major.
    func float32(_ name: String) throws -> [Float] {
        let entry = try entry(name, dtype: "F32")
        let bytes = data[(dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound)]
        return bytes.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
            }
        }
    }
}

// MARK: - Locations

enum FixturePaths {
    /// Tests/Fixtures
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// Tests/Fixtures/preprocess
    static let preprocess = fixtures.appendingPathComponent("preprocess")
    /// ../shared/fixtures/preprocess/preprocess.safetensors relative to the package root
    /// (8.8 MB, not copied into the repository).
    static let preprocessArrays = fixtures.deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures/preprocess/preprocess.safetensors")
}
