import CTurboJPEG
import Testing
@testable import Imaging

/// JPEG variants the fixtures lack, encoded here with TurboJPEG.
@Suite("Imaging: JPEG variants")
struct JPEGFormatTests {
    /// Encodes `pixels` (in `layout`) as a JPEG with the encoder the demo and benchmarks use.
    func encode(_ pixels: [UInt8], width: Int, height: Int, layout: ImageEncoder.JPEGPixels,
                subsampling: ImageEncoder.Subsampling) throws -> [UInt8] {
        try ImageEncoder.jpeg(pixels, width: width, height: height, layout: layout, subsampling: subsampling)
    }

    /// Decodes with TurboJPEG directly to `format` (4 bytes per pixel for CMYK, 1 for gray).
    func decodeRaw(_ jpeg: [UInt8], width: Int, height: Int, format: TJPF, channels: Int) throws -> [UInt8] {
        let handle = try #require(tjInitDecompress())
        defer { tjDestroy(handle) }
        var out = [UInt8](repeating: 0, count: width * height * channels)
        let status = out.withUnsafeMutableBufferPointer { dst in
            jpeg.withUnsafeBufferPointer {
                tjDecompress2(handle, $0.baseAddress, UInt($0.count), dst.baseAddress, Int32(width), 0,
                              Int32(height), Int32(format.rawValue), TJFLAG_ACCURATEDCT)
            }
        }
        try #require(status == 0)
        return out
    }

    func pattern(width: Int, height: Int, channels: Int) -> [UInt8] {
        (0..<(width * height * channels)).map { UInt8(truncatingIfNeeded: ($0 * 37) ^ ($0 / 7)) }
    }

    @Test("grayscale JPEG is replicated into RGB (Pillow's L -> RGB)")
    func grayscale() throws {
        let (w, h) = (23, 17)
        let jpeg = try encode(pattern(width: w, height: h, channels: 1), width: w, height: h,
                              layout: .gray, subsampling: .gray)
        let image = try ImageDecoder.decode(data: jpeg, name: "gray.jpg")
        let gray = try decodeRaw(jpeg, width: w, height: h, format: TJPF_GRAY, channels: 1)
        #expect(image.pixels == gray.flatMap { [$0, $0, $0] })
    }

    @Test("CMYK JPEG follows Pillow's CMYK;I + cmyk2rgb")
    func cmyk() throws {
        let (w, h) = (19, 11)
        let jpeg = try encode(pattern(width: w, height: h, channels: 4), width: w, height: h,
                              layout: .cmyk, subsampling: .s444)
        let image = try ImageDecoder.decode(data: jpeg, name: "cmyk.jpg")
        let stored = try decodeRaw(jpeg, width: w, height: h, format: TJPF_CMYK, channels: 4)
        var expected: [UInt8] = []
        for i in 0..<(w * h) {
            let c = stored[(4 * i)..<(4 * i + 4)].map { 255 - Int($0) } // Pillow's inverted read
            let nk = 255 - c[3]
            for channel in 0..<3 {
                let t = c[channel] * nk + 128
                expected.append(UInt8(max(0, min(255, nk - (((t >> 8) + t) >> 8)))))
            }
        }
        #expect(image.pixels == expected)
    }

    @Test("4:4:4 and 4:2:2 colour JPEGs decode like TurboJPEG's own RGB output")
    func subsampling() throws {
        let (w, h) = (31, 9)
        for subsampling in [ImageEncoder.Subsampling.s444, .s422, .s420] {
            let jpeg = try encode(pattern(width: w, height: h, channels: 3), width: w, height: h,
                                  layout: .rgb, subsampling: subsampling)
            let image = try ImageDecoder.decode(data: jpeg, name: "s.jpg")
            #expect(image.pixels == (try decodeRaw(jpeg, width: w, height: h, format: TJPF_RGB, channels: 3)))
        }
    }
}
