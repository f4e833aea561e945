import CPNG
import CTurboJPEG

/// Encodes 8-bit pixels as JPEG (TurboJPEG) or PNG (libpng's simplified API): for the
/// demo's data converter, synthetic benchmark data and tests that need image files.
public enum ImageEncoder {
    /// The pixel layouts the JPEG encoder takes, with their bytes per pixel.
    public enum JPEGPixels: Sendable {
        case gray, rgb, cmyk

        var format: TJPF {
            switch self {
            case .gray: return TJPF_GRAY
            case .rgb: return TJPF_RGB
            case .cmyk: return TJPF_CMYK
            }
        }

        /// Bytes per pixel.
        public var channels: Int {
            switch self {
            case .gray: return 1
            case .rgb: return 3
            case .cmyk: return 4
            }
        }
    }

    /// Chroma subsampling of a JPEG (gray images use `.gray`).
    public enum Subsampling: Sendable {
        case s444, s422, s420, gray

        var value: TJSAMP {
            switch self {
            case .s444: return TJSAMP_444
            case .s422: return TJSAMP_422
            case .s420: return TJSAMP_420
            case .gray: return TJSAMP_GRAY
            }
        }
    }

    /// A baseline (or, with `progressive`, a progressive) JPEG of `pixels` (`layout.channels`
    /// bytes per pixel, row-major). The defaults, 4:2:0 at quality 90, are how most photos are stored.
    public static func jpeg(_ pixels: [UInt8], width: Int, height: Int, layout: JPEGPixels = .rgb,
                            subsampling: Subsampling = .s420, quality: Int = 90,
                            progressive: Bool = false) throws -> [UInt8] {
        precondition(pixels.count == width * height * layout.channels, "pixel count does not match the size")
        guard let handle = tjInitCompress() else { throw ImageEncodingError(message: "tjInitCompress failed") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(layout.format.rawValue),
                        &buffer, &size, Int32(subsampling.value.rawValue), Int32(quality),
                        progressive ? TJFLAG_PROGRESSIVE : 0)
        }
        defer { tjFree(buffer) }
        guard status == 0, let buffer else {
            throw ImageEncodingError(message: "TurboJPEG: " + String(cString: tjGetErrorStr2(handle)))
        }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }

    /// An 8-bit PNG of `pixels`: `channels` 1 (gray), 3 (RGB) or 4 (RGBA), row-major.
    public static func png(_ pixels: [UInt8], width: Int, height: Int, channels: Int) throws -> [UInt8] {
        precondition([1, 3, 4].contains(channels), "PNG channels must be 1, 3 or 4")
        precondition(pixels.count == width * height * channels, "pixel count does not match the size")
        var image = png_image()
        image.version = cpng_image_version()
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = channels == 1 ? 0 /* PNG_FORMAT_GRAY */ : channels == 3 ? cpng_format_rgb() : cpng_format_rgba()
        let stride = Int32(width * channels)
        // First call: the size needed; second call: the encoding.
        var size: png_alloc_size_t = 0
        let sized = pixels.withUnsafeBytes {
            png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, stride, nil)
        }
        guard sized != 0, size > 0 else { throw ImageEncodingError(message: "libpng: " + image.messageText) }
        var out = [UInt8](repeating: 0, count: Int(size))
        let written = out.withUnsafeMutableBytes { dst in
            pixels.withUnsafeBytes {
                png_image_write_to_memory(&image, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil)
            }
        }
        guard written != 0 else { throw ImageEncodingError(message: "libpng: " + image.messageText) }
        return Array(out[0..<Int(size)])
    }
}

/// Why an image could not be encoded (the library's own message).
public struct ImageEncodingError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { "cannot encode image: \(message)" }
}
