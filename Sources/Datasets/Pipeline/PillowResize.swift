import Imaging

// MARK: - Pillow's pass order

/// Pillow's `Image.resize(size, BICUBIC)` of a (cropped) image with Pillow 13's choice of
/// pass order, built from Imaging's single-axis resampling.
///
/// Pillow resamples in two 8-bit passes with a uint8 image in between, so the order of
/// the passes matters (results differ by 1 in some pixels). Up to Pillow 12 the
/// horizontal pass always runs first. Pillow 13 (`ImagingResampleInner`) runs the
/// vertical pass first when the height shrinks by more than twice as many pixels as the
/// width: `dy > 0 && dy > 2 * dx` with `dy = inHeight - outHeight`, `dx = inWidth - outWidth`,
/// measured on the image being resized (for torchvision's `resized_crop`, the crop).
/// Typical RandomResizedCrop crops (e.g. 300 x 400 -> 224 x 224) take that path. The
/// project's references (fixtures, Scripts/gen_transform_fixture.py) use Pillow 13.0.0.
enum PillowResize {
    /// Whether Pillow 13 resamples a `inWidth` x `inHeight` image to `outWidth` x
    /// `outHeight` vertically first.
    static func verticalFirst(inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int) -> Bool {
        let dy = inHeight - outHeight, dx = inWidth - outWidth
        return dy > 0 && dy > dx * 2
    }

    /// `image.crop(region).resize((width, height), BICUBIC)`, only the `window` part of
    /// the result (default: all of it).
    static func resizedCrop(_ image: RGBImage, region: PixelRect, width: Int, height: Int,
                            window: PixelRect? = nil) -> RGBImage {
        let window = window ?? PixelRect(x: 0, y: 0, width: width, height: height)
        guard width != region.width, height != region.height,
              verticalFirst(inWidth: region.width, inHeight: region.height, outWidth: width, outHeight: height)
        else {
            return resizeBicubic(image, from: region, width: width, height: height, window: window)
        }
        // Vertical pass alone (width kept): the window's rows, every column of the region.
        let rows = resizeBicubic(image, from: region, width: region.width, height: height,
                                 window: PixelRect(x: 0, y: window.y, width: region.width, height: window.height))
        // Horizontal pass alone (height kept): the window's columns.
        return resizeBicubic(rows, from: PixelRect(x: 0, y: 0, width: rows.width, height: rows.height),
                             width: width, height: rows.height,
                             window: PixelRect(x: window.x, y: 0, width: window.width, height: window.height))
    }

    /// `image.resize((width, height), BICUBIC)`.
    static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        resizedCrop(image, region: PixelRect(x: 0, y: 0, width: image.width, height: image.height),
                    width: width, height: height)
    }
}
