import CPNG

// MARK: - PNG (libpng)

/// Decodes PNG data the way Pillow's `Image.open(f).convert("RGB")` does.
///
/// The work happens in `cpng_decode_rgb8` (Sources/CPNG/shim.h), which owns libpng's
/// setjmp error handling and applies only value-preserving transforms: palette expansion
/// (tRNS ignored), low-bit gray scaled to 8 bits, 16-bit samples reduced to their high
/// byte (16-bit gray clipped to 255 as Pillow's I;16 -> RGB does), alpha dropped without
/// compositing, no gamma or ICC handling.
enum PNGDecoder {
    /// Decodes `bytes` (a whole PNG file); `path` is only used in error messages.
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> RGBImage {
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var result = cpng_result()
        let probe = cpng_decode_rgb8(base, bytes.count, nil, 0, &result)
        guard probe == Int32(CPNG_NEED_BUFFER) else { throw failure(result, path: path) }

        let w = Int(result.width), h = Int(result.height)
        guard w > 0, h > 0 else {
            throw ImagingError.corrupt(path: path, format: "PNG", detail: "empty image (\(w) x \(h))")
        }
        guard w * h <= ImageDecoder.maximumPixels else {
            throw ImagingError.tooLarge(path: path, width: w, height: h)
        }
        var status: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: w * h * 3) { buffer, count in
            buffer.initialize(repeating: 0) // interlaced or failing decodes write rows partially
            status = cpng_decode_rgb8(base, bytes.count, buffer.baseAddress, w * h * 3, &result)
            count = w * h * 3
        }
        guard status == Int32(CPNG_OK) else { throw failure(result, path: path) }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    // MARK: - Errors

    private static func failure(_ result: cpng_result, path: String) -> ImagingError {
        let message = withUnsafeBytes(of: result.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if message.lowercased().contains("truncated") || message.contains("Not enough image data") {
            return .truncated(path: path, format: "PNG", detail: message)
        }
        return .corrupt(path: path, format: "PNG", detail: message)
    }
}
