// MARK: - Crop

/// Pillow's `Image.crop((x, y, x + width, y + height))`: pixels outside the image are black.
public func crop(_ image: RGBImage, _ rect: PixelRect) -> RGBImage {
    precondition(rect.width >= 0 && rect.height >= 0, "crop: negative size \(rect)")
    var out = [UInt8](repeating: 0, count: rect.width * rect.height * 3)
    // Intersection of the rectangle with the image, in image coordinates.
    let x0 = max(rect.x, 0), x1 = min(rect.x + rect.width, image.width)
    let y0 = max(rect.y, 0), y1 = min(rect.y + rect.height, image.height)
    if x0 < x1 && y0 < y1 {
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let count = (x1 - x0) * 3
                for y in y0..<y1 {
                    let from = src.baseAddress! + (y * image.width + x0) * 3
                    let to = dst.baseAddress! + ((y - rect.y) * rect.width + (x0 - rect.x)) * 3
                    to.update(from: from, count: count)
                }
            }
        }
    }
    return RGBImage(width: rect.width, height: rect.height, pixels: out)
}

// MARK: - torchvision geometry

/// The rectangle torchvision's `CenterCrop((height, width))` keeps of a `imageWidth` x
/// `imageHeight` image that is at least that large:
/// `top = int(round((h - height) / 2.0))`, `left` likewise, with Python's round
/// (half to even: 22.5 -> 22, 160.5 -> 160).
public func centerCropRect(imageWidth: Int, imageHeight: Int, width: Int, height: Int) -> PixelRect {
    let top = Int((Double(imageHeight - height) / 2.0).rounded(.toNearestOrEven))
    let left = Int((Double(imageWidth - width) / 2.0).rounded(.toNearestOrEven))
    return PixelRect(x: left, y: top, width: width, height: height)
}

/// torchvision's `CenterCrop((height, width))` on a PIL image.
///
/// An image smaller than the crop is first padded with black (left/top get
/// `(crop - size) // 2`, right/bottom the rest), exactly as torchvision does.
public func centerCrop(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
    var source = image
    if width > image.width || height > image.height {
        let padLeft = width > image.width ? (width - image.width) / 2 : 0
        let padTop = height > image.height ? (height - image.height) / 2 : 0
        let paddedWidth = max(width, image.width), paddedHeight = max(height, image.height)
        source = crop(image, PixelRect(x: -padLeft, y: -padTop, width: paddedWidth, height: paddedHeight))
        if paddedWidth == width && paddedHeight == height { return source }
    }
    let rect = centerCropRect(imageWidth: source.width, imageHeight: source.height, width: width, height: height)
    return crop(source, rect)
}

/// torchvision's `CenterCrop(size)` (a square crop) on a PIL image.
public func centerCrop(_ image: RGBImage, size: Int) -> RGBImage {
    centerCrop(image, width: size, height: size)
}

/// The size torchvision's `Resize(shorterSide)` (an int) gives a `width` x `height` image:
/// the shorter side becomes `shorterSide`, the longer `int(shorterSide * long / short)`
/// (float division, truncated). Square images stay square.
public func resizedSize(width: Int, height: Int, shorterSide: Int) -> (width: Int, height: Int) {
    let short = min(width, height), long = max(width, height)
    let newLong = Int(Double(shorterSide * long) / Double(short))
    return width <= height ? (shorterSide, newLong) : (newLong, shorterSide)
}

/// torchvision's `Resize(shorterSide, interpolation=BICUBIC)` on a PIL image: returns the
/// image unchanged when it already has that size.
public func resizeShorterSide(_ image: RGBImage, to shorterSide: Int) -> RGBImage {
    let size = resizedSize(width: image.width, height: image.height, shorterSide: shorterSide)
    if size.width == image.width && size.height == image.height { return image }
    return resizeBicubic(image, width: size.width, height: size.height)
}
