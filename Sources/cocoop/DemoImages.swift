import Foundation
import Gunzip
import Imaging
import Support

// MARK: - Errors

/// Why `cocoop demo-data` could not read a source file or write an image.
enum DemoDataError: Error, CustomStringConvertible {
    /// A source file is missing or unreadable (`hint` says how to get it).
    case unreadable(path: String, reason: String, hint: String)
    /// An IDX file's header or length is not what Fashion-MNIST's files have.
    case badIDX(path: String, detail: String)
    /// The image and label files disagree.
    case mismatchedCounts(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// libpng could not encode an image.
    case pngWrite(path: String, message: String)
    /// libpng could not decode an image.
    case pngRead(path: String, message: String)

    var description: String {
        switch self {
        case .unreadable(let path, let reason, let hint):
            return "cannot read \(path): \(reason)" + (hint.isEmpty ? "" : " (\(hint))")
        case .badIDX(let path, let detail):
            return "\(path): not a Fashion-MNIST IDX file: \(detail)"
        case .mismatchedCounts(let images, let ni, let labels, let nl):
            return "\(images) holds \(ni) images but \(labels) holds \(nl) labels"
        case .pngWrite(let path, let message):
            return "cannot encode PNG \(path): \(message)"
        case .pngRead(let path, let message):
            return "cannot decode PNG \(path): \(message)"
        }
    }
}

// MARK: - IDX (MNIST / Fashion-MNIST)

/// The images and labels of one IDX pair (`*-images-idx3-ubyte[.gz]`, `*-labels-idx1-ubyte[.gz]`).
struct IDXSet {
    /// Number of images.
    let count: Int
    /// Image height and width.
    let rows: Int, columns: Int
    /// `count * rows * columns` gray bytes, image after image.
    let pixels: [UInt8]
    /// One label per image.
    let labels: [UInt8]

    /// Reads an images file and its labels file (gzip-compressed or plain).
    init(images: String, labels: String, hint: String) throws {
        let imageBytes = try Self.readMaybeGzip(images, hint: hint)
        let labelBytes = try Self.readMaybeGzip(labels, hint: hint)
        func be32(_ b: [UInt8], _ at: Int) -> Int {
            Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3])
        }
        guard imageBytes.count >= 16, be32(imageBytes, 0) == 0x0803 else {
            throw DemoDataError.badIDX(path: images, detail: "expected magic 0x00000803 (ubyte, 3 dimensions)")
        }
        guard labelBytes.count >= 8, be32(labelBytes, 0) == 0x0801 else {
            throw DemoDataError.badIDX(path: labels, detail: "expected magic 0x00000801 (ubyte, 1 dimension)")
        }
        let n = be32(imageBytes, 4), rows = be32(imageBytes, 8), columns = be32(imageBytes, 12)
        let nl = be32(labelBytes, 4)
        guard imageBytes.count == 16 + n * rows * columns else {
            throw DemoDataError.badIDX(path: images,
                                       detail: "\(imageBytes.count) bytes for \(n) images of \(rows) x \(columns)")
        }
        guard labelBytes.count == 8 + nl else {
            throw DemoDataError.badIDX(path: labels, detail: "\(labelBytes.count) bytes for \(nl) labels")
        }
        guard n == nl else {
            throw DemoDataError.mismatchedCounts(images: images, imageCount: n, labels: labels, labelCount: nl)
        }
        count = n
        self.rows = rows
        self.columns = columns
        pixels = Array(imageBytes[16...])
        self.labels = Array(labelBytes[8...])
    }

    /// The file's bytes, inflated when it is gzip-compressed (zlib's gz* reader passes
    /// plain files through unchanged).
    static func readMaybeGzip(_ path: String, hint: String) throws -> [UInt8] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw DemoDataError.unreadable(path: path, reason: "no such readable file", hint: hint)
        }
        do {
            return try Gzip.readFile(atPath: path)
        } catch GzipError.cannotOpen {
            throw DemoDataError.unreadable(path: path, reason: "no such readable file", hint: hint)
        } catch {
            throw DemoDataError.unreadable(path: path, reason: "gzip data is corrupt", hint: hint)
        }
    }
}

// MARK: - PNG writing and RGBA reading (through Imaging)

/// PNG files for `cocoop demo-data`, encoded and decoded through Imaging.
enum DemoPNG {
    /// Encodes 8-bit pixels (`channels` 1 = gray, 3 = RGB) as a PNG file at `url`.
    static func write(_ pixels: [UInt8], width: Int, height: Int, channels: Int, to url: URL) throws {
        let png: [UInt8]
        do {
            png = try ImageEncoder.png(pixels, width: width, height: height, channels: channels)
        } catch {
            throw DemoDataError.pngWrite(path: url.path, message: "\(error)")
        }
        do {
            try Data(png).write(to: url)
        } catch {
            throw DemoDataError.pngWrite(path: url.path, message: FileFailure.reason(error))
        }
    }

    /// Decodes a PNG file to 8-bit RGBA (non-premultiplied; libpng's simplified reader).
    static func readRGBA(_ url: URL) throws -> RGBAImage {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw DemoDataError.pngRead(path: url.path, message: "unreadable file")
        }
        do {
            return try ImageDecoder.decodePNGWithAlpha(data: data, name: url.path)
        } catch ImagingError.tooLarge(_, let w, let h) {
            throw DemoDataError.pngRead(path: url.path, message: "unsupported size \(w) x \(h)")
        } catch ImagingError.corrupt(_, _, let detail) {
            throw DemoDataError.pngRead(path: url.path, message: detail)
        }
    }
}

// MARK: - Clip art to a square RGB image

enum ClipArt {
    /// Composites RGBA over white, pads the shorter side with white to a centred square and
    /// resizes it to `size` x `size` with Pillow's bicubic filter.
    static func squareOnWhite(width w: Int, height h: Int, rgba: [UInt8], size: Int) -> RGBImage {
        let side = max(w, h)
        var square = [UInt8](repeating: 255, count: side * side * 3)
        let x0 = (side - w) / 2, y0 = (side - h) / 2
        rgba.withUnsafeBufferPointer { src in
            square.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    for x in 0..<w {
                        let s = (y * w + x) * 4, d = ((y + y0) * side + x + x0) * 3
                        let a = Int(src[s + 3])
                        for c in 0..<3 {
                            // Straight alpha over white, rounded: (c a + 255 (255 - a)) / 255.
                            dst[d + c] = UInt8((Int(src[s + c]) * a + 255 * (255 - a) + 127) / 255)
                        }
                    }
                }
            }
        }
        let image = RGBImage(width: side, height: side, pixels: square)
        return side == size ? image : resizeBicubic(image, width: size, height: size)
    }
}
