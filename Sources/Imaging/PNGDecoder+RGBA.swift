import CPNG
import Foundation

// MARK: - RGBAImage

/// An 8-bit RGBA image with straight (not premultiplied) alpha, rows top to bottom,
/// pixels interleaved (`[y][x][r, g, b, a]`).
public struct RGBAImage: Equatable, Sendable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// `height * width * 4` bytes, row-major, channels last.
    public var pixels: [UInt8]
}

// MARK: - RGBA decoding (libpng's simplified API)

extension ImageDecoder {
    /// Decodes a whole PNG file held in `data` to 8-bit RGBA with libpng's simplified reader,
    /// alpha kept (the demo's clip art is composited over white by the caller). Unlike
    /// ``decode(data:name:)-(Data,_)`` this is not Pillow's RGB conversion.
    /// - Throws: `ImagingError.corrupt` with libpng's message, or `.tooLarge` beyond
    ///   ``maximumPixels``; `name` appears in both.
    public static func decodePNGWithAlpha(data: Data, name: String) throws -> RGBAImage {
        try data.withUnsafeBytes { try PNGDecoder.decodeRGBA($0, path: name) }
    }
}

extension PNGDecoder {
    /// Decodes `bytes` (a whole PNG file) to straight-alpha RGBA8; `path` is for errors only.
    static func decodeRGBA(_ bytes: UnsafeRawBufferPointer, path: String) throws -> RGBAImage {
        var image = png_image()
        image.version = cpng_image_version()
        guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
            throw failure(&image, path: path)
        }
        image.format = cpng_format_rgba()
        let w = Int(image.width), h = Int(image.height)
        guard w > 0, h > 0, w * h <= ImageDecoder.maximumPixels else {
            png_image_free(&image)
            throw ImagingError.tooLarge(path: path, width: w, height: h)
        }
        var pixels = [UInt8](repeating: 0, count: w * h * 4)
        let done = pixels.withUnsafeMutableBytes {
            png_image_finish_read(&image, nil, $0.baseAddress, Int32(w * 4), nil)
        }
        guard done != 0 else { throw failure(&image, path: path) }
        return RGBAImage(width: w, height: h, pixels: pixels)
    }

    /// Frees `image` and returns libpng's message for it as an `ImagingError.corrupt`.
    private static func failure(_ image: inout png_image, path: String) -> ImagingError {
        let text = image.messageText
        png_image_free(&image)
        return .corrupt(path: path, format: "PNG", detail: text.isEmpty ? "libpng error" : text)
    }
}

extension png_image {
    /// The message libpng's simplified API left here (empty when none); used by the
    /// RGBA reader and by ``ImageEncoder/png(_:width:height:channels:)``.
    var messageText: String {
        withUnsafeBytes(of: message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
