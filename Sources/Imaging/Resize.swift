// MARK: - Public API

/// Resizes with Pillow's `Image.resize((width, height), Image.BICUBIC)`, bit for bit.
///
/// Separable 8-bit fixed-point resampling as in Pillow's `ImagingResample`, two passes with
/// a uint8 image in between (so their order matters); a pass is skipped when its axis keeps
/// its size. The order is Pillow 13's (the version of our references): horizontal first,
/// except vertical first when the height shrinks by more than twice as many pixels as the
/// width (see ``pillowResamplesVerticalFirst(inWidth:inHeight:outWidth:outHeight:)``).
public func resizeBicubic(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
    resizeBicubic(image, from: PixelRect(x: 0, y: 0, width: image.width, height: image.height),
                  width: width, height: height)
}

/// Crops `region` and resizes it to `width` x `height` with Pillow's bicubic filter:
/// the same pixels as `resizeBicubic(crop(image, region), ...)` (torchvision's
/// `resized_crop` on a PIL image) without materialising the crop.
public func resizeBicubic(_ image: RGBImage, from region: PixelRect, width: Int, height: Int) -> RGBImage {
    resizeBicubic(image, from: region, width: width, height: height,
                  window: PixelRect(x: 0, y: 0, width: width, height: height))
}

/// Computes only the `window` part of `resizeBicubic(image, from: region, width:, height:)`.
///
/// Every output pixel of Pillow's resampling depends only on its own coefficients, so a
/// window of the result (e.g. the centre crop that follows a resize) is bit-identical to
/// cropping the full result, at a fraction of the cost.
public func resizeBicubic(_ image: RGBImage, from region: PixelRect, width: Int, height: Int,
                          window: PixelRect) -> RGBImage {
    precondition(width > 0 && height > 0, "resizeBicubic: output size \(width) x \(height)")
    precondition(region.width > 0 && region.height > 0, "resizeBicubic: empty source region \(region)")
    precondition(window.isInside(width: width, height: height),
                 "resizeBicubic: window \(window) outside the \(width) x \(height) result")
    guard region.isInside(width: image.width, height: image.height) else {
        // Pillow's crop pads with black outside the image; resample that padded copy.
        let padded = crop(image, region)
        return resizeBicubic(padded, from: PixelRect(x: 0, y: 0, width: region.width, height: region.height),
                             width: width, height: height, window: window)
    }
    guard width != region.width, height != region.height,
          pillowResamplesVerticalFirst(inWidth: region.width, inHeight: region.height,
                                       outWidth: width, outHeight: height) else {
        return BicubicResampler.resample(image, region: region, outWidth: width, outHeight: height, window: window)
    }
    // Vertical pass alone (width kept) over the window's rows, then the horizontal pass
    // alone (height kept) over the window's columns.
    let rows = BicubicResampler.resample(image, region: region, outWidth: region.width, outHeight: height,
                                         window: PixelRect(x: 0, y: window.y, width: region.width,
                                                           height: window.height))
    return BicubicResampler.resample(rows, region: PixelRect(x: 0, y: 0, width: rows.width, height: rows.height),
                                     outWidth: width, outHeight: rows.height,
                                     window: PixelRect(x: window.x, y: 0, width: window.width, height: window.height))
}

/// Whether Pillow 13 (`ImagingResampleInner`) resamples `inWidth` x `inHeight` to
/// `outWidth` x `outHeight` vertically first: `dy > 0 && dy > 2 * dx` with
/// `dy = inHeight - outHeight`, `dx = inWidth - outWidth`. Pillow 12 and older always run
/// the horizontal pass first; results differ by 1 in some pixels.
public func pillowResamplesVerticalFirst(inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int) -> Bool {
    let dy = inHeight - outHeight, dx = inWidth - outWidth
    return dy > 0 && dy > dx * 2
}

// MARK: - Passes

/// The two passes of Pillow's `ImagingResampleInner` for 8-bit RGB.
enum BicubicResampler {
    static func resample(_ image: RGBImage, region: PixelRect, outWidth: Int, outHeight: Int,
                         window: PixelRect) -> RGBImage {
        let needHorizontal = outWidth != region.width
        let needVertical = outHeight != region.height
        let vertical = needVertical
            ? BicubicAxisCache.shared.axis(inSize: region.height, outSize: outHeight) : nil
        let horizontal = needHorizontal
            ? BicubicAxisCache.shared.axis(inSize: region.width, outSize: outWidth) : nil
        let windowRows = window.y..<(window.y + window.height)
        // Rows of the region the vertical pass reads (Pillow's ybox_first ..< ybox_last).
        let rows = vertical?.inputSpan(of: windowRows) ?? windowRows
        let rowBytes = window.width * 3

        var out = [UInt8](repeating: 0, count: window.height * rowBytes)
        if window.width == 0 || window.height == 0 {
            return RGBImage(width: window.width, height: window.height, pixels: out)
        }
        image.pixels.withUnsafeBufferPointer { source in
            let src = source.baseAddress!
            let srcRowBytes = image.width * 3
            // Top-left of the region's first needed row, at the window's first column.
            let origin = (region.y + rows.lowerBound) * srcRowBytes + region.x * 3
            out.withUnsafeMutableBufferPointer { destination in
                let dst = destination.baseAddress!
                guard let vertical else {
                    // Only the horizontal pass (or none): rows == windowRows.
                    horizontalPass(src + origin, sourceRowBytes: srcRowBytes, rows: rows.count,
                                   axis: horizontal, columns: window.x..<(window.x + window.width), into: dst)
                    return
                }
                let temp = UnsafeMutablePointer<UInt8>.allocate(capacity: rows.count * rowBytes)
                defer { temp.deallocate() }
                horizontalPass(src + origin, sourceRowBytes: srcRowBytes, rows: rows.count,
                               axis: horizontal, columns: window.x..<(window.x + window.width), into: temp)
                verticalPass(temp, rowBytes: rowBytes, firstRow: rows.lowerBound, axis: vertical,
                             outputRows: windowRows, into: dst)
            }
        }
        return RGBImage(width: window.width, height: window.height, pixels: out)
    }

    @inline(__always)
    static func clip8(_ sum: Int32) -> UInt8 {
        let v = sum >> resamplePrecisionBits
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(truncatingIfNeeded: v))
    }

    /// Pillow's `ImagingResampleHorizontal_8bpc` for output columns `columns`, or a plain
    /// copy of those columns when `axis` is nil (width unchanged). `src` points at the
    /// first needed row, column 0 of the source region.
    static func horizontalPass(_ src: UnsafePointer<UInt8>, sourceRowBytes: Int, rows: Int,
                               axis: BicubicAxis?, columns: Range<Int>,
                               into dst: UnsafeMutablePointer<UInt8>) {
        let rowBytes = columns.count * 3
        guard let axis else {
            for r in 0..<rows {
                (dst + r * rowBytes).update(from: src + r * sourceRowBytes + columns.lowerBound * 3,
                                            count: rowBytes)
            }
            return
        }
        let half: Int32 = 1 << (resamplePrecisionBits - 1)
        axis.starts.withUnsafeBufferPointer { starts in
            axis.counts.withUnsafeBufferPointer { counts in
                axis.weights.withUnsafeBufferPointer { weights in
                    for r in 0..<rows {
                        let line = src + r * sourceRowBytes
                        var out = dst + r * rowBytes
                        for xx in columns {
                            let k = weights.baseAddress! + xx * axis.taps
                            var p = line + Int(starts[xx]) * 3
                            var s0 = half, s1 = half, s2 = half
                            for t in 0..<Int(counts[xx]) {
                                let w = k[t]
                                s0 &+= Int32(p[0]) &* w
                                s1 &+= Int32(p[1]) &* w
                                s2 &+= Int32(p[2]) &* w
                                p += 3
                            }
                            out[0] = clip8(s0)
                            out[1] = clip8(s1)
                            out[2] = clip8(s2)
                            out += 3
                        }
                    }
                }
            }
        }
    }

    /// Pillow's `ImagingResampleVertical_8bpc` for output rows `outputRows`; `temp` holds
    /// the horizontally resampled rows `firstRow ..< firstRow + n` of the region.
    /// Accumulates tap by tap over whole rows (integer sums: same result, vectorisable).
    static func verticalPass(_ temp: UnsafePointer<UInt8>, rowBytes: Int, firstRow: Int,
                             axis: BicubicAxis, outputRows: Range<Int>,
                             into dst: UnsafeMutablePointer<UInt8>) {
        let half: Int32 = 1 << (resamplePrecisionBits - 1)
        let sums = UnsafeMutablePointer<Int32>.allocate(capacity: rowBytes)
        defer { sums.deallocate() }
        axis.starts.withUnsafeBufferPointer { starts in
            axis.counts.withUnsafeBufferPointer { counts in
                axis.weights.withUnsafeBufferPointer { weights in
                    for (j, yy) in outputRows.enumerated() {
                        sums.update(repeating: half, count: rowBytes)
                        let k = weights.baseAddress! + yy * axis.taps
                        let top = Int(starts[yy]) - firstRow
                        for t in 0..<Int(counts[yy]) {
                            let w = k[t]
                            let row = temp + (top + t) * rowBytes
                            for i in 0..<rowBytes {
                                sums[i] &+= Int32(row[i]) &* w
                            }
                        }
                        let out = dst + j * rowBytes
                        for i in 0..<rowBytes {
                            out[i] = clip8(sums[i])
                        }
                    }
                }
            }
        }
    }
}
