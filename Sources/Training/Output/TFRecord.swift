// MARK: - TFRecord framing

/// TFRecord framing, as TensorBoard event files use it: for each record, the payload length
/// (uint64, little endian), the masked CRC-32C of those 8 bytes, the payload, and the masked
/// CRC-32C of the payload (both uint32, little endian).
public enum TFRecord {
    /// Appends one framed record to `output`.
    public static func append(_ payload: [UInt8], to output: inout [UInt8]) {
        var length = UInt64(payload.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: &length) { Array($0) }
        output += lengthBytes
        appendUInt32(CRC32C.masked(CRC32C.checksum(lengthBytes)), to: &output)
        output += payload
        appendUInt32(CRC32C.masked(CRC32C.checksum(payload)), to: &output)
    }

    /// Splits framed bytes into payloads, checking both CRCs of every record.
    /// - Throws: `TensorBoardError.corruptRecord` naming the byte offset of the bad record.
    public static func records(in bytes: [UInt8]) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        var offset = 0
        while offset < bytes.count {
            guard offset + 12 <= bytes.count else {
                throw TensorBoardError.corruptRecord(offset: offset, problem: "truncated header")
            }
            let lengthBytes = Array(bytes[offset..<offset + 8])
            let length = lengthBytes.enumerated().reduce(UInt64(0)) {
                $0 | UInt64($1.element) << (8 * UInt64($1.offset))
            }
            guard readUInt32(bytes, at: offset + 8) == CRC32C.masked(CRC32C.checksum(lengthBytes)) else {
                throw TensorBoardError.corruptRecord(offset: offset, problem: "length CRC mismatch")
            }
            let start = offset + 12
            guard length <= UInt64(bytes.count - start), bytes.count - start - Int(length) >= 4 else {
                throw TensorBoardError.corruptRecord(offset: offset, problem: "truncated payload")
            }
            let payload = Array(bytes[start..<start + Int(length)])
            guard readUInt32(bytes, at: start + Int(length)) == CRC32C.masked(CRC32C.checksum(payload)) else {
                throw TensorBoardError.corruptRecord(offset: offset, problem: "payload CRC mismatch")
            }
            out.append(payload)
            offset = start + Int(length) + 4
        }
        return out
    }

    static func appendUInt32(_ value: UInt32, to output: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { output.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }
}

// MARK: - Errors

/// What can go wrong writing or reading TensorBoard event files.
public enum TensorBoardError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The event file could not be created.
    case cannotCreate(path: String, reason: String)
    /// Writing or syncing the event file failed.
    case writeFailed(path: String, reason: String)
    /// A record's framing or checksum is wrong.
    case corruptRecord(offset: Int, problem: String)

    /// A one-line message naming the file or offset.
    public var description: String {
        switch self {
        case let .cannotCreate(path, reason): return "cannot create TensorBoard event file \(path): \(reason)"
        case let .writeFailed(path, reason): return "cannot write TensorBoard event file \(path): \(reason)"
        case let .corruptRecord(offset, problem): return "corrupt TFRecord at byte \(offset): \(problem)"
        }
    }
}
