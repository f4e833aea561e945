import CTurboJPEG

// MARK: - JPEG (libjpeg-turbo)

/// Decodes JPEG data the way Pillow does (`Image.open(f).convert("RGB")`).
///
/// Pillow drives libjpeg(-turbo) with its defaults: the accurate integer IDCT ("islow")
/// and smooth ("fancy") chroma upsampling; `cjpeg_decode` (Sources/CTurboJPEG/cjpeg.h)
/// runs the same code, with gray JPEGs replicated into RGB by libjpeg exactly as Pillow's
/// L -> RGB conversion does. CMYK/YCCK JPEGs are decoded to CMYK and converted with
/// Pillow's own formula (Adobe-inverted CMYK, then `cmyk2rgb`).
///
/// It is as strict as Pillow: data that ends before the decoder is done (a progressive
/// file cut between scans included) is `ImagingError.truncated`, a libjpeg error is
/// `.corrupt`, and the warnings libjpeg recovers from are accepted, as Pillow accepts them.
/// A file whose every row is present but whose end-of-image marker is missing is accepted.
enum JPEGDecoder {
    /// Decodes `bytes` (a whole JPEG file); `path` is only used in error messages.
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> RGBImage {
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var result = cjpeg_result()
        let probe = cjpeg_decode(base, bytes.count, nil, 0, &result)
        guard probe == Int32(CJPEG_NEED_BUFFER) else { throw failure(probe, result, path: path) }

        let w = Int(result.width), h = Int(result.height), channels = Int(result.channels)
        guard w > 0, h > 0 else {
            throw ImagingError.corrupt(path: path, format: "JPEG", detail: "empty image (\(w) x \(h))")
        }
        guard w * h <= ImageDecoder.maximumPixels else {
            throw ImagingError.tooLarge(path: path, width: w, height: h)
        }
        var status: Int32 = 0
        let decoded = [UInt8](unsafeUninitializedCapacity: w * h * channels) { buffer, count in
            buffer.initialize(repeating: 0)
            status = cjpeg_decode(base, bytes.count, buffer.baseAddress, w * h * channels, &result)
            count = w * h * channels
        }
        guard status == Int32(CJPEG_OK) else { throw failure(status, result, path: path) }
        if channels == 4 { return cmykToRGB(decoded, width: w, height: h) }
        return RGBImage(width: w, height: h, pixels: decoded)
    }

    // MARK: - CMYK

    /// CMYK and YCCK JPEGs: libjpeg yields (Adobe-inverted) CMYK; Pillow reads it with the
    /// "CMYK;I" rawmode (every byte inverted) and converts with
    /// `nk = 255 - k; rgb = clip(nk - muldiv255(c, nk))`.
    private static func cmykToRGB(_ cmyk: [UInt8], width w: Int, height h: Int) -> RGBImage {
        let pixels = [UInt8](unsafeUninitializedCapacity: w * h * 3) { out, count in
            cmyk.withUnsafeBufferPointer { src in
                for i in 0..<(w * h) {
                    // Pillow inverts the stored bytes ("CMYK;I"), so its k is 255 - stored k.
                    let nk = Int32(src[i * 4 + 3])
                    for c in 0..<3 {
                        let inverted = 255 - Int32(src[i * 4 + c])
                        let t = inverted * nk + 128
                        let v = nk - (((t >> 8) + t) >> 8)
                        out[i * 3 + c] = UInt8(clamping: v)
                    }
                }
            }
            count = w * h * 3
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    // MARK: - Errors

    private static func failure(_ status: Int32, _ result: cjpeg_result, path: String) -> ImagingError {
        let message = withUnsafeBytes(of: result.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if status == Int32(CJPEG_TRUNCATED) {
            return .truncated(path: path, format: "JPEG", detail: message)
        }
        return .corrupt(path: path, format: "JPEG", detail: message.isEmpty ? "libjpeg error" : message)
    }
}
