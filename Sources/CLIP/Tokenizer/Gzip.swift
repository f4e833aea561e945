import CZlib

// MARK: - Errors

/// Why a gzip stream could not be inflated.
enum GzipError: Error, CustomStringConvertible, Equatable {
    /// The input ended before the end of the (last) gzip member.
    case truncated(bytesRead: Int)
    /// zlib rejected the data; `status` is zlib's return code, `message` its `msg`.
    case zlib(status: Int32, message: String)

    /// A one-line message with zlib's status and text.
    var description: String {
        switch self {
        case .truncated(let n):
            return "gzip data ends early (after \(n) input bytes)"
        case .zlib(let status, let message):
            return "zlib inflate failed with status \(status): \(message)"
        }
    }
}

// MARK: - Gunzip

/// Gzip decompression through zlib's `inflate`.
enum Gzip {
    /// Inflates gzip (or zlib) data; concatenated gzip members are decoded one after another.
    ///
    /// Uses `inflateInit2` with `windowBits = 15 + 32`, so zlib detects the gzip or zlib header
    /// itself and checks the trailer's CRC-32 and length.
    /// - Parameter input: the compressed bytes.
    /// - Returns: the decompressed bytes.
    static func decompress(_ input: [UInt8]) throws -> [UInt8] {
        if input.isEmpty { throw GzipError.truncated(bytesRead: 0) }
        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else {
            throw GzipError.zlib(status: initStatus, message: zlibMessage(stream))
        }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var source = input
        try source.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            while true {
                var produced = 0
                let status = chunk.withUnsafeMutableBufferPointer { outBuffer -> Int32 in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(outBuffer.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    produced = outBuffer.count - Int(stream.avail_out)
                    return status
                }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow (as `gzip -d` accepts).
                    if stream.avail_in == 0 { return }
                    let reset = inflateReset(&stream)
                    guard reset == Z_OK else { throw GzipError.zlib(status: reset, message: zlibMessage(stream)) }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw GzipError.truncated(bytesRead: inBuffer.count)
                default:
                    throw GzipError.zlib(status: status, message: zlibMessage(stream))
                }
            }
        }
        return output
    }

    /// zlib's error message for the stream, or "no message".
    private static func zlibMessage(_ stream: z_stream) -> String {
        guard let msg = stream.msg else { return "no message" }
        return String(cString: msg)
    }
}
