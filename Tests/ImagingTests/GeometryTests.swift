import Testing
@testable import Imaging

// MARK: - Naive oracle

/// Pillow's two-pass resize written plainly over the whole image, for checking the windowed,
/// region and single-pass code paths (the coefficient tables are checked by the fixtures).
func naiveResize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
    func pass(_ src: [UInt8], _ w: Int, _ h: Int, horizontal: Bool, to outSize: Int) -> [UInt8] {
        let axis = BicubicAxis(inSize: horizontal ? w : h, outSize: outSize)
        let (ow, oh) = horizontal ? (outSize, h) : (w, outSize)
        var out = [UInt8](repeating: 0, count: ow * oh * 3)
        for y in 0..<oh {
            for x in 0..<ow {
                let o = horizontal ? x : y
                for c in 0..<3 {
                    var sum: Int32 = 1 << 21
                    for t in 0..<Int(axis.counts[o]) {
                        let i = Int(axis.starts[o]) + t
                        let v = horizontal ? src[(y * w + i) * 3 + c] : src[(i * w + x) * 3 + c]
                        sum += Int32(v) * axis.weights[o * axis.taps + t]
                    }
                    out[(y * ow + x) * 3 + c] = UInt8(max(0, min(255, sum >> 22)))
                }
            }
        }
        return out
    }
    var pixels = image.pixels
    var (w, h) = (image.width, image.height)
    // Pillow 13: vertical first when the height shrinks by more than twice the width's shrink.
    let dy = h - height, dx = w - width
    let verticalFirst = dy > 0 && dy > 2 * dx
    for horizontal in verticalFirst ? [false, true] : [true, false] {
        if horizontal && width != w {
            pixels = pass(pixels, w, h, horizontal: true, to: width)
            w = width
        } else if !horizontal && height != h {
            pixels = pass(pixels, w, h, horizontal: false, to: height)
            h = height
        }
    }
    return RGBImage(width: w, height: h, pixels: pixels)
}

/// A deterministic image with edges and gradients (values hit 0 and 255 so clipping matters).
func testImage(width: Int, height: Int) -> RGBImage {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            let i = (y * width + x) * 3
            pixels[i] = ((x / 3 + y / 5) % 2 == 0) ? 255 : 0
            pixels[i + 1] = UInt8(truncatingIfNeeded: x * 255 / max(width - 1, 1))
            pixels[i + 2] = UInt8(truncatingIfNeeded: (x * 7919 + y * 104_729) % 251)
        }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

// MARK: - Tests

@Suite("Imaging: resize and crop geometry")
struct GeometryTests {
    @Test("Resize(n) output size as torchvision computes it")
    func resizedSizes() {
        #expect(resizedSize(width: 451, height: 300, shorterSide: 224) == (336, 224))
        #expect(resizedSize(width: 300, height: 451, shorterSide: 224) == (224, 336))
        #expect(resizedSize(width: 324, height: 133, shorterSide: 224) == (545, 224))
        #expect(resizedSize(width: 324, height: 133, shorterSide: 32) == (77, 32))
        #expect(resizedSize(width: 500, height: 375, shorterSide: 224) == (298, 224))
        #expect(resizedSize(width: 512, height: 512, shorterSide: 224) == (224, 224))
        #expect(resizedSize(width: 3, height: 1000, shorterSide: 2) == (2, 666))
    }

    @Test("CenterCrop offsets round half to even")
    func cropOffsets() {
        #expect(centerCropRect(imageWidth: 77, imageHeight: 32, width: 32, height: 32)
                    == PixelRect(x: 22, y: 0, width: 32, height: 32))
        #expect(centerCropRect(imageWidth: 545, imageHeight: 224, width: 224, height: 224).x == 160)
        #expect(centerCropRect(imageWidth: 51, imageHeight: 32, width: 32, height: 32).x == 10) // 9.5 -> 10
        #expect(centerCropRect(imageWidth: 336, imageHeight: 224, width: 224, height: 224).x == 56)
        #expect(centerCropRect(imageWidth: 224, imageHeight: 227, width: 224, height: 224).y == 2) // 1.5 -> 2
        #expect(centerCropRect(imageWidth: 224, imageHeight: 229, width: 224, height: 224).y == 2) // 2.5 -> 2
    }

    @Test("crop pads with black outside the image; CenterCrop pads small images")
    func cropPadding() {
        let image = RGBImage(width: 2, height: 1, pixels: [1, 2, 3, 4, 5, 6])
        let out = crop(image, PixelRect(x: -1, y: 0, width: 3, height: 2))
        #expect(out.pixels == [0, 0, 0, 1, 2, 3, 4, 5, 6] + [UInt8](repeating: 0, count: 9))
        // torchvision: pad left (4 - 2) // 2 = 1, right 1, top (3 - 1) // 2 = 1, bottom 1.
        let centred = centerCrop(image, width: 4, height: 3)
        #expect(centred.width == 4 && centred.height == 3)
        #expect(centred[1, 1] == (1, 2, 3) && centred[2, 1] == (4, 5, 6) && centred[0, 0] == (0, 0, 0))
    }

    @Test("resize matches the plain two-pass oracle", arguments: [
        (40, 30, 20, 15), (40, 30, 20, 30), (40, 30, 40, 17), (13, 9, 40, 31), (37, 23, 37, 23),
        (500, 375, 298, 224), (7, 200, 3, 11), (1, 1, 5, 3), (5, 3, 1, 1),
    ])
    func oracle(w: Int, h: Int, ow: Int, oh: Int) {
        let image = testImage(width: w, height: h)
        #expect(imageMismatch(resizeBicubic(image, width: ow, height: oh),
                              naiveResize(image, width: ow, height: oh)) == nil)
    }

    @Test("a window of the result equals cropping the full result")
    func window() {
        let image = testImage(width: 61, height: 47)
        let full = resizeBicubic(image, width: 90, height: 33)
        for window in [PixelRect(x: 0, y: 0, width: 90, height: 33), PixelRect(x: 13, y: 5, width: 33, height: 20),
                       PixelRect(x: 89, y: 32, width: 1, height: 1), PixelRect(x: 0, y: 10, width: 90, height: 1)] {
            let part = resizeBicubic(image, from: PixelRect(x: 0, y: 0, width: 61, height: 47),
                                     width: 90, height: 33, window: window)
            #expect(imageMismatch(part, crop(full, window)) == nil, "window \(window)")
        }
    }

    @Test("resizing a region equals cropping, then resizing (torchvision resized_crop)")
    func region() {
        let image = testImage(width: 80, height: 60)
        for region in [PixelRect(x: 10, y: 7, width: 41, height: 29), PixelRect(x: 0, y: 0, width: 80, height: 60),
                       PixelRect(x: 50, y: 30, width: 30, height: 30), PixelRect(x: -5, y: 50, width: 20, height: 20)] {
            for (ow, oh) in [(32, 32), (224, 224), (region.width, 16), (9, region.height)] {
                let direct = resizeBicubic(image, from: region, width: ow, height: oh)
                #expect(imageMismatch(direct, naiveResize(crop(image, region), width: ow, height: oh)) == nil,
                        "\(region) -> \(ow)x\(oh)")
            }
        }
    }

    @Test("Resize(n) leaves an image of the right size untouched")
    func identity() {
        let image = testImage(width: 32, height: 50)
        #expect(imageMismatch(resizeShorterSide(image, to: 32), image) == nil)
        let cropped = crop(image, PixelRect(x: 0, y: 9, width: 32, height: 32))
        #expect(imageMismatch(CLIPPreprocessor(resolution: 32).resizeAndCrop(image), cropped) == nil)
    }

    @Test("coefficient tables: each window sums to about 2^22 and stays inside the input")
    func coefficients() {
        for (n, m) in [(500, 298), (133, 224), (7, 3), (1, 9), (9, 1)] {
            let axis = BicubicAxis(inSize: n, outSize: m)
            for o in 0..<m {
                let start = Int(axis.starts[o]), count = Int(axis.counts[o])
                #expect(start >= 0 && count >= 1 && start + count <= n && count <= axis.taps)
                let sum = (0..<count).reduce(0) { $0 + Int(axis.weights[o * axis.taps + $1]) }
                #expect(abs(sum - (1 << 22)) <= count)
            }
        }
    }
}
