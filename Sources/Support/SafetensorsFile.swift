import Foundation

// MARK: - Tensor entries

/// One tensor's entry in a safetensors header, validated.
public struct SafetensorsTensorInfo: Equatable, Sendable {
    /// The tensor's name (the JSON key).
    public let name: String
    /// Element type.
    public let dtype: SafetensorsDType
    /// Extent of each dimension, outermost first (`[]` for a 0-dim scalar).
    public let shape: [Int]
    /// Byte range inside the data area (the bytes after the header).
    public let dataOffsets: Range<Int>

    /// Number of elements (1 for a 0-dim scalar).
    public var elementCount: Int { shape.reduce(1, *) }
}

// MARK: - SafetensorsFile

/// A safetensors file, memory-mapped, with its header parsed and validated.
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON (an object mapping
/// each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`, plus an
/// optional `"__metadata__"` string-to-string map), then the data area. Opening checks
/// that every dtype is known, shapes are non-negative, each byte range lies inside the
/// data area and holds exactly `elements x dtype size` bytes, and that the ranges tile
/// the data area without overlaps or holes, as the format requires. Tensor bytes are
/// never copied until a converter is called.
public final class SafetensorsFile {
    /// The largest header the format allows.
    public static let maxHeaderLength: UInt64 = 100_000_000

    /// The path the file was opened with.
    public let path: String
    /// The mapping that holds the bytes; retain it to keep pointers into the file valid.
    public let mapping: MappedFile
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// Offset of the data area from the start of the file (8 + header length).
    public let dataStart: Int
    /// Size of the data area in bytes.
    public let dataSize: Int
    private let entries: [String: SafetensorsTensorInfo]

    /// Tensor names, sorted.
    public let names: [String]

    /// Opens and validates the file at `path`.
    /// - Throws: ``MappedFileError`` if it cannot be mapped, ``SafetensorsError`` if it is
    ///   not a valid safetensors file.
    public convenience init(path: String) throws {
        try self.init(mapping: MappedFile(path: path))
    }

    /// Opens and validates the file at `url`.
    public convenience init(url: URL) throws {
        try self.init(path: url.path)
    }

    /// Validates a file that is already mapped.
    public init(mapping: MappedFile) throws {
        self.mapping = mapping
        self.path = mapping.path
        let bytes = mapping.bytes
        guard bytes.count >= 8 else { throw SafetensorsError.truncated(path: path, fileSize: bytes.count) }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw SafetensorsError.headerLengthBeyondFile(path: path, headerLength: headerLength, fileSize: bytes.count)
        }
        guard headerLength <= Self.maxHeaderLength else {
            throw SafetensorsError.headerTooLarge(path: path, headerLength: headerLength)
        }
        dataStart = 8 + Int(headerLength)
        dataSize = bytes.count - dataStart
        let header = try Self.decodeHeader(UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]), path: path)
        metadata = header.metadata
        entries = try Self.validate(header.entries, dataSize: dataSize, path: path)
        names = entries.keys.sorted()
    }

    // MARK: - Access by name

    /// Whether a tensor named `name` exists.
    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The validated header entry of `name`.
    /// - Throws: ``SafetensorsError/missingTensor(path:tensor:)``.
    public func info(_ name: String) throws -> SafetensorsTensorInfo {
        guard let entry = entries[name] else { throw SafetensorsError.missingTensor(path: path, tensor: name) }
        return entry
    }

    /// The entries of all tensors, sorted by name.
    public var tensors: [SafetensorsTensorInfo] { names.map { entries[$0]! } }

    /// The dtype of `name`.
    public func dtype(_ name: String) throws -> SafetensorsDType { try info(name).dtype }

    /// The shape of `name`.
    public func shape(_ name: String) throws -> [Int] { try info(name).shape }

    /// The raw little-endian bytes of `name`, pointing into the mapping (no copy).
    ///
    /// Valid while this object (or ``mapping``) lives. May be unaligned for its dtype.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        let entry = try info(name)
        return rawBytes(entry)
    }

    /// The raw bytes of an entry of this file (no copy).
    public func rawBytes(_ entry: SafetensorsTensorInfo) -> UnsafeRawBufferPointer {
        let start = dataStart + entry.dataOffsets.lowerBound
        return UnsafeRawBufferPointer(rebasing: mapping.bytes[start..<(start + entry.dataOffsets.count)])
    }

    // MARK: - Header decoding

    private struct RawEntry {
        var name: String
        var dtype: String
        var shape: [Int]
        var offsets: [Int]
    }

    private struct RawHeader: Decodable {
        var metadata: [String: String] = [:]
        var entries: [RawEntry] = []

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys {
                if key.stringValue == "__metadata__" {
                    do {
                        metadata = try container.decode([String: String].self, forKey: key)
                    } catch let error as DecodingError {
                        throw HeaderProblem(reason: "__metadata__ must map strings to strings (\(Self.explain(error)))")
                    }
                    continue
                }
                let entry = try container.nestedContainer(keyedBy: Key.self, forKey: key)
                do {
                    entries.append(RawEntry(
                        name: key.stringValue,
                        dtype: try entry.decode(String.self, forKey: Key(stringValue: "dtype")),
                        shape: try entry.decode([Int].self, forKey: Key(stringValue: "shape")),
                        offsets: try entry.decode([Int].self, forKey: Key(stringValue: "data_offsets"))))
                } catch let error as DecodingError {
                    throw HeaderProblem(reason: "tensor '\(key.stringValue)': \(Self.explain(error))")
                }
            }
        }

        static func explain(_ error: DecodingError) -> String {
            func at(_ context: DecodingError.Context) -> String {
                context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            }
            switch error {
            case let .keyNotFound(key, _): return "missing field '\(key.stringValue)'"
            case let .typeMismatch(type, context): return "field '\(at(context))' is not of type \(type)"
            case let .valueNotFound(type, context): return "field '\(at(context))' is null, expected \(type)"
            case let .dataCorrupted(context): return "malformed value at '\(at(context))': \(context.debugDescription)"
            @unknown default: return "\(error)"
            }
        }
    }

    private struct HeaderProblem: Error { var reason: String }

    private static func decodeHeader(_ header: UnsafeRawBufferPointer, path: String) throws -> RawHeader {
        guard header.first == UInt8(ascii: "{") else {
            throw SafetensorsError.invalidHeader(path: path, reason: "the header does not start with '{'")
        }
        do {
            return try JSONDecoder().decode(RawHeader.self, from: Data(header))
        } catch let problem as HeaderProblem {
            throw SafetensorsError.invalidHeader(path: path, reason: problem.reason)
        } catch let error as DecodingError {
            if case .typeMismatch = error {
                throw SafetensorsError.invalidHeader(path: path, reason: "every value must be a JSON object "
                                                                         + "(\(RawHeader.explain(error)))")
            }
            throw SafetensorsError.invalidHeader(path: path, reason: "not valid JSON (\(RawHeader.explain(error)))")
        } catch {
            throw SafetensorsError.invalidHeader(path: path, reason: "not valid JSON (\(error))")
        }
    }

    // MARK: - Validation

    private static func validate(_ raw: [RawEntry], dataSize: Int,
                                 path: String) throws -> [String: SafetensorsTensorInfo] {
        var result: [String: SafetensorsTensorInfo] = [:]
        result.reserveCapacity(raw.count)
        for entry in raw.sorted(by: { $0.name < $1.name }) {
            guard let dtype = SafetensorsDType(rawValue: entry.dtype) else {
                throw SafetensorsError.unknownDType(path: path, tensor: entry.name, dtype: entry.dtype)
            }
            var elements = 1
            for extent in entry.shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
                guard extent >= 0, !overflow else {
                    throw SafetensorsError.invalidShape(path: path, tensor: entry.name, shape: entry.shape)
                }
                elements = product
            }
            guard entry.offsets.count == 2, entry.offsets[0] >= 0, entry.offsets[0] <= entry.offsets[1],
                  entry.offsets[1] <= dataSize else {
                throw SafetensorsError.offsetsOutOfRange(path: path, tensor: entry.name, offsets: entry.offsets,
                                                         dataSize: dataSize)
            }
            let found = entry.offsets[1] - entry.offsets[0]
            let (expected, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, expected == found else {
                throw SafetensorsError.sizeMismatch(path: path, tensor: entry.name, dtype: entry.dtype,
                                                    shape: entry.shape, expectedBytes: overflow ? Int.max : expected,
                                                    foundBytes: found)
            }
            result[entry.name] = SafetensorsTensorInfo(name: entry.name, dtype: dtype, shape: entry.shape,
                                                       dataOffsets: entry.offsets[0]..<entry.offsets[1])
        }
        // The byte ranges must tile the data area: no overlap, no hole, no trailing bytes.
        let byStart = result.values.sorted {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name)
                < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name)
        }
        var end = 0
        var previous: String?
        for entry in byStart {
            if entry.dataOffsets.lowerBound < end, let previous {
                throw SafetensorsError.overlap(path: path, tensor: entry.name, other: previous)
            }
            if entry.dataOffsets.lowerBound > end {
                throw SafetensorsError.unindexedBytes(path: path, range: end..<entry.dataOffsets.lowerBound)
            }
            end = entry.dataOffsets.upperBound
            previous = entry.name
        }
        if end != dataSize { throw SafetensorsError.unindexedBytes(path: path, range: end..<dataSize) }
        return result
    }
}
