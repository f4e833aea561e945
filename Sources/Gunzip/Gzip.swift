import CZlib

// MARK: - Errors

/// Why gzip data could not be inflated or a (maybe gzip-compressed) file could not be read.
public enum GzipError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The input ended before the end of the (last) gzip member.
    case truncated(bytesRead: Int)
    /// zlib rejected the data; `status` is zlib's return code, `message` its `msg`.
    case zlib(status: Int32, message: String)
    /// zlib could not open the file (missing, unreadable, a directory).
    case cannotOpen(path: String)
    /// zlib's file reader failed: the file's gzip data is corrupt or truncated.
    case corruptFile(path: String, message: String)

    /// A one-line message with zlib's status and text, or the file's path.
    public var description: String {
        switch self {
        case .truncated(let n):
            return "gzip data ends early (after \(n) input bytes)"
        case .zlib(let status, let message):
            return "zlib inflate failed with status \(status): \(message)"
        case .cannotOpen(let path):
            return "cannot open \(path)"
        case .corruptFile(let path, let message):
            return "\(path): gzip data is corrupt: \(message)"
        }
    }
}

// MARK: - Gunzip

/// Gzip decompression through zlib: whole buffers with `inflate`, files with the `gz*` reader.
public enum Gzip {
    /// Inflates gzip (or zlib) data; concatenated gzip members are decoded one after another.
    ///
    /// Uses `inflateInit2` with `windowBits = 15 + 32`, so zlib detects the gzip or zlib header
    /// itself and checks the trailer's CRC-32 and length.
    /// - Parameter input: the compressed bytes.
    /// - Returns: the decompressed bytes.
    public static func decompress(_ input: [UInt8]) throws -> [UInt8] {
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

    /// The file's bytes, inflated when it is gzip-compressed; a plain file passes through
    /// unchanged (zlib's `gzread` does that), so `data.gz` and `data` read the same.
    /// - Parameter path: the file to read.
    /// - Returns: the (decompressed) contents.
    public static func readFile(atPath path: String) throws -> [UInt8] {
        guard let file = gzopen(path, "rb") else { throw GzipError.cannotOpen(path: path) }
        defer { gzclose(file) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 { throw GzipError.corruptFile(path: path, message: fileMessage(file)) }
            if n == 0 { break }
            out += chunk[0..<Int(n)]
        }
        return out
    }

    /// zlib's error message for the stream, or "no message".
    private static func zlibMessage(_ stream: z_stream) -> String {
        guard let msg = stream.msg else { return "no message" }
        return String(cString: msg)
    }

    /// zlib's message for the last error of a `gz*` file.
    private static func fileMessage(_ file: gzFile) -> String {
        var status: Int32 = 0
        guard let msg = gzerror(file, &status) else { return "no message" }
        return String(cString: msg)
    }
}
