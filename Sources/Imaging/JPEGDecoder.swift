import CTurboJPEG

// MARK: - JPEG (TurboJPEG)

/// Decodes JPEG data the way Pillow does (`Image.open(f).convert("RGB")`).
///
/// Pillow drives libjpeg(-turbo) with its defaults: the accurate integer IDCT ("islow")
/// and smooth ("fancy") chroma upsampling; TurboJPEG's `tjDecompress2` without
/// `TJFLAG_FASTDCT`/`TJFLAG_FASTUPSAMPLE` runs the same code. Grayscale JPEGs are
/// replicated into RGB by libjpeg exactly as Pillow's L -> RGB conversion does.
/// CMYK/YCCK JPEGs are decoded to CMYK and converted with Pillow's own formula
/// (Adobe-inverted CMYK, then `cmyk2rgb`).
enum JPEGDecoder {
    /// Decodes `bytes` (a whole JPEG file); `path` is only used in error messages.
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> RGBImage {
        guard let handle = tjInitDecompress() else {
            throw ImagingError.corrupt(path: path, format: "JPEG", detail: "tjInitDecompress failed")
        }
        defer { tjDestroy(handle) }
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let size = UInt(bytes.count)

        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        if tjDecompressHeader3(handle, base, size, &width, &height, &subsampling, &colorspace) != 0 {
            throw failure(handle, path: path, stage: "header")
        }
        let w = Int(width), h = Int(height)
        guard w > 0, h > 0 else {
            // libjpeg reached the (fake) end of data before a frame header.
            let message = String(cString: tjGetErrorStr2(handle))
            if message.lowercased().contains("premature end") {
                throw ImagingError.truncated(path: path, format: "JPEG", detail: "no frame header: \(message)")
            }
            throw ImagingError.corrupt(path: path, format: "JPEG", detail: "no frame header (\(w) x \(h))")
        }
        guard w * h <= ImageDecoder.maximumPixels else {
            throw ImagingError.tooLarge(path: path, width: w, height: h)
        }

        let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        if isCMYK {
            return try decodeCMYK(handle, base, size, width: w, height: h, path: path)
        }
        var status: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: w * h * 3) { buffer, count in
            buffer.initialize(repeating: 0) // rows a failing decode leaves unwritten
            status = tjDecompress2(handle, base, size, buffer.baseAddress, width, 0, height,
                                   Int32(TJPF_RGB.rawValue), TJFLAG_ACCURATEDCT)
            count = w * h * 3
        }
        if status != 0 { try checkWarning(handle, path: path) }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    // MARK: - CMYK

    /// CMYK and YCCK JPEGs: libjpeg yields (Adobe-inverted) CMYK; Pillow reads it with the
    /// "CMYK;I" rawmode (every byte inverted) and converts with
    /// `nk = 255 - k; rgb = clip(nk - muldiv255(c, nk))`.
    private static func decodeCMYK(_ handle: tjhandle, _ base: UnsafePointer<UInt8>, _ size: UInt,
                                   width w: Int, height h: Int, path: String) throws -> RGBImage {
        var cmyk = [UInt8](repeating: 0, count: w * h * 4)
        let status = cmyk.withUnsafeMutableBufferPointer { buffer in
            tjDecompress2(handle, base, size, buffer.baseAddress, Int32(w), 0, Int32(h),
                          Int32(TJPF_CMYK.rawValue), TJFLAG_ACCURATEDCT)
        }
        if status != 0 { try checkWarning(handle, path: path) }
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

    /// After `tjDecompress2` returned -1: a warning is accepted (the image is complete, as
    /// Pillow accepts it), except a premature end of data, which Pillow reports as a
    /// truncated file.
    private static func checkWarning(_ handle: tjhandle, path: String) throws {
        let message = String(cString: tjGetErrorStr2(handle))
        if tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) {
            if message.lowercased().contains("premature end") {
                throw ImagingError.truncated(path: path, format: "JPEG", detail: message)
            }
            return
        }
        throw failure(handle, path: path, stage: "data")
    }

    private static func failure(_ handle: tjhandle, path: String, stage: String) -> ImagingError {
        let message = String(cString: tjGetErrorStr2(handle))
        if message.lowercased().contains("premature end") {
            return .truncated(path: path, format: "JPEG", detail: message)
        }
        return .corrupt(path: path, format: "JPEG", detail: "\(stage): \(message)")
    }
}
