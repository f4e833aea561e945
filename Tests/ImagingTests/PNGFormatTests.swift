import Testing
@testable import Imaging

/// PNG variants the fixtures lack, built by TestPNGWriter; expected values follow Pillow's
/// PngImagePlugin modes/rawmodes and Convert.c (see PNGDecoder's documentation).
@Suite("Imaging: PNG variants decode as Pillow's convert('RGB')")
struct PNGFormatTests {
    func decode(_ bytes: [UInt8]) throws -> RGBImage {
        try ImageDecoder.decode(data: bytes, name: "synthetic.png")
    }

    func gray(_ values: [UInt8]) -> [UInt8] { values.flatMap { [$0, $0, $0] } }

    @Test("8-bit gray is replicated")
    func gray8() throws {
        let values: [UInt8] = [0, 1, 127, 128, 254, 255]
        let png = TestPNGWriter.encode(width: 3, height: 2, bitDepth: 8, colorType: .gray,
                                       rows: [Array(values[0..<3]), Array(values[3..<6])])
        #expect(try decode(png) == RGBImage(width: 3, height: 2, pixels: gray(values)))
    }

    @Test("1, 2 and 4-bit gray scale to 8 bits")
    func lowBitGray() throws {
        // 2-bit: values 0,1,2,3 -> 0, 85, 170, 255 (Pillow's L;2 unpacker multiplies by 0x55).
        let two = TestPNGWriter.encode(width: 4, height: 1, bitDepth: 2, colorType: .gray, rows: [[0b0001_1011]])
        #expect(try decode(two).pixels == gray([0, 85, 170, 255]))
        // 1-bit: mode "1", converted to 0 / 255.
        let one = TestPNGWriter.encode(width: 8, height: 1, bitDepth: 1, colorType: .gray, rows: [[0b1010_0001]])
        #expect(try decode(one).pixels == gray([255, 0, 255, 0, 0, 0, 0, 255]))
        // 4-bit: multiplied by 17.
        let four = TestPNGWriter.encode(width: 2, height: 1, bitDepth: 4, colorType: .gray, rows: [[0x1F]])
        #expect(try decode(four).pixels == gray([17, 255]))
    }

    @Test("16-bit gray is clipped to 255 (Pillow's I;16 -> RGB)")
    func gray16() throws {
        let samples: [UInt16] = [0, 200, 255, 256, 0x1234, 0xFFFF]
        let row = samples.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let png = TestPNGWriter.encode(width: 6, height: 1, bitDepth: 16, colorType: .gray, rows: [row])
        #expect(try decode(png).pixels == gray([0, 200, 255, 255, 255, 255]))
    }

    @Test("16-bit gray, interlaced")
    func gray16Interlaced() throws {
        let width = 9, height = 7
        var rows: [[UInt8]] = []
        var expected: [UInt8] = []
        for y in 0..<height {
            var row: [UInt8] = []
            for x in 0..<width {
                let v = UInt16(x * 37 + y * 11) * (x % 3 == 0 ? 3 : 1)
                row += [UInt8(v >> 8), UInt8(v & 0xFF)]
                expected += gray([v > 255 ? 255 : UInt8(v)])
            }
            rows.append(row)
        }
        let png = TestPNGWriter.encode(width: width, height: height, bitDepth: 16, colorType: .gray, rows: rows,
                                       interlaced: true, bytesPerPixel: 2)
        #expect(try decode(png).pixels == expected)
    }

    @Test("16-bit RGB and RGBA keep the high byte")
    func rgb16() throws {
        let rgb: [UInt16] = [0x0000, 0x01FF, 0x8080, 0xFF00, 0xFFFF, 0x7F80]
        let row = rgb.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let png = TestPNGWriter.encode(width: 2, height: 1, bitDepth: 16, colorType: .rgb, rows: [row])
        #expect(try decode(png).pixels == [0x00, 0x01, 0x80, 0xFF, 0xFF, 0x7F])
        let rgba: [UInt16] = [0x1234, 0x5678, 0x9ABC, 0x0000]
        let rowA = rgba.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let pngA = TestPNGWriter.encode(width: 1, height: 1, bitDepth: 16, colorType: .rgba, rows: [rowA])
        #expect(try decode(pngA).pixels == [0x12, 0x56, 0x9A])
    }

    @Test("alpha is dropped without compositing (RGBA, gray+alpha 8 and 16 bits)")
    func alphaDropped() throws {
        let rgba = TestPNGWriter.encode(width: 2, height: 1, bitDepth: 8, colorType: .rgba,
                                        rows: [[10, 20, 30, 0, 200, 100, 50, 128]])
        #expect(try decode(rgba).pixels == [10, 20, 30, 200, 100, 50])
        let la = TestPNGWriter.encode(width: 2, height: 1, bitDepth: 8, colorType: .grayAlpha, rows: [[77, 0, 250, 9]])
        #expect(try decode(la).pixels == gray([77, 250]))
        let la16 = TestPNGWriter.encode(width: 1, height: 1, bitDepth: 16, colorType: .grayAlpha,
                                        rows: [[0xAB, 0xCD, 0x00, 0x01]])
        #expect(try decode(la16).pixels == gray([0xAB]))
    }

    @Test("palette with tRNS: colours from PLTE, transparency ignored")
    func palette() throws {
        let plte: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7]
        var extras = TestPNGWriter.Extras()
        extras.palette = plte
        extras.transparency = [0, 128]
        let png = TestPNGWriter.encode(width: 4, height: 1, bitDepth: 4, colorType: .palette,
                                       rows: [[0x01, 0x23]], extras: extras)
        #expect(try decode(png).pixels == plte)
    }

    @Test("gAMA, sRGB and RGB tRNS chunks change nothing")
    func colourChunksIgnored() throws {
        let row: [UInt8] = [0, 64, 128, 192, 255, 1]
        for extras in [TestPNGWriter.Extras(gamma: 100_000), TestPNGWriter.Extras(gamma: 20_000),
                       TestPNGWriter.Extras(sRGB: true),
                       TestPNGWriter.Extras(transparency: [0, 0, 0, 64, 0, 128])] {
            let png = TestPNGWriter.encode(width: 2, height: 1, bitDepth: 8, colorType: .rgb, rows: [row],
                                           extras: extras)
            #expect(try decode(png).pixels == row)
        }
        var grayExtras = TestPNGWriter.Extras(gamma: 100_000)
        grayExtras.transparency = [0, 5]
        let png = TestPNGWriter.encode(width: 2, height: 1, bitDepth: 8, colorType: .gray, rows: [[5, 6]],
                                       extras: grayExtras)
        #expect(try decode(png).pixels == gray([5, 6]))
    }

    @Test("interlaced RGB equals the same image non-interlaced")
    func interlaced() throws {
        let width = 13, height = 11
        let rows = (0..<height).map { y in (0..<(width * 3)).map { UInt8(truncatingIfNeeded: $0 * 7 + y * 31) } }
        let plain = TestPNGWriter.encode(width: width, height: height, bitDepth: 8, colorType: .rgb, rows: rows)
        let adam7 = TestPNGWriter.encode(width: width, height: height, bitDepth: 8, colorType: .rgb, rows: rows,
                                         interlaced: true, bytesPerPixel: 3)
        let a = try decode(plain), b = try decode(adam7)
        #expect(a.pixels == rows.flatMap { $0 })
        #expect(imageMismatch(a, b) == nil)
    }

    @Test("ImageEncoder.png round-trips gray, RGB and RGBA (alpha dropped on decoding)")
    func encoderRoundTrip() throws {
        let width = 7, height = 5
        for channels in [1, 3, 4] {
            let pixels = (0..<(width * height * channels)).map { UInt8(truncatingIfNeeded: $0 * 37 + $0 / 5) }
            let png = try ImageEncoder.png(pixels, width: width, height: height, channels: channels)
            let rgb: [UInt8] = channels == 1 ? gray(pixels)
                : stride(from: 0, to: pixels.count, by: channels).flatMap { pixels[$0..<$0 + 3] }
            #expect(try decode(png) == RGBImage(width: width, height: height, pixels: rgb), "\(channels) channel(s)")
        }
    }
}
