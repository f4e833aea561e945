import Foundation
import Support

// MARK: - ImageDecoder

/// Decodes JPEG and PNG files to 8-bit RGB exactly as Pillow's
/// `Image.open(path).convert("RGB")` does (Dassl's `read_image`).
///
/// The format is detected from the leading bytes, never from the file name. Errors are
/// thrown as `ImagingError` naming the file; nothing here crashes or exits on bad data.
public enum ImageDecoder {
    /// Image formats told apart by their magic bytes.
    public enum Format: String, Sendable {
        case jpeg = "JPEG"
        case png = "PNG"
    }

    /// Largest accepted image, in pixels: Pillow's decompression-bomb error threshold
    /// (2 * `Image.MAX_IMAGE_PIXELS` = 2 * 89,478,485).
    public static let maximumPixels = 2 * 89_478_485

    // MARK: - Entry points

    /// Reads and decodes the file at `url`.
    public static func decode(fileAt url: URL) throws -> RGBImage {
        let path = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImagingError.unreadable(path: path, reason: Self.reason(for: error, path: path))
        }
        return try decode(data: data, name: path)
    }

    /// Decodes a whole JPEG or PNG file held in `data`; `name` appears in error messages.
    public static func decode(data: Data, name: String) throws -> RGBImage {
        try data.withUnsafeBytes { try decode(bytes: $0, name: name) }
    }

    /// Decodes a whole JPEG or PNG file held in `data`; `name` appears in error messages.
    public static func decode(data: [UInt8], name: String) throws -> RGBImage {
        try data.withUnsafeBytes { try decode(bytes: $0, name: name) }
    }

    /// Decodes a whole JPEG or PNG file in memory; `name` appears in error messages.
    public static func decode(bytes: UnsafeRawBufferPointer, name: String) throws -> RGBImage {
        guard bytes.count > 0 else {
            throw ImagingError.unsupportedFormat(path: name, detected: "empty file")
        }
        switch detectFormat(bytes) {
        case .jpeg?: return try JPEGDecoder.decode(bytes, path: name)
        case .png?: return try PNGDecoder.decode(bytes, path: name)
        case nil: throw ImagingError.unsupportedFormat(path: name, detected: describeUnknown(bytes))
        }
    }

    // MARK: - Format detection

    /// The format announced by the leading bytes, or nil when neither JPEG nor PNG.
    public static func detectFormat(_ bytes: UnsafeRawBufferPointer) -> Format? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        return nil
    }

    /// Names formats Pillow would open but this decoder does not; otherwise shows the bytes.
    static func describeUnknown(_ bytes: UnsafeRawBufferPointer) -> String {
        let known: [(String, [UInt8])] = [
            ("GIF", Array("GIF8".utf8)), ("BMP", Array("BM".utf8)),
            ("TIFF", [0x49, 0x49, 0x2A, 0x00]), ("TIFF", [0x4D, 0x4D, 0x00, 0x2A]),
            ("PNG with a damaged signature", [0x89, 0x50, 0x4E, 0x47]),
        ]
        for (name, magic) in known where bytes.starts(with: magic) { return name }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)),
           Array(bytes[8..<12]) == Array("WEBP".utf8) {
            return "WebP"
        }
        let head = bytes.prefix(8).map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
        return "unrecognised leading bytes \(head)"
    }

    private static func reason(for error: Error, path: String) -> String {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            return "no such file"
        }
        if isDirectory.boolValue { return "is a directory" }
        return FileFailure.reason(error)
    }
}

private extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
