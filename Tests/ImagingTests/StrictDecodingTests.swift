import CTurboJPEG
import Testing
@testable import Imaging

/// Files Pillow refuses are refused here too (issue 17, D5 and D17), and the damage
/// Pillow tolerates is tolerated.
@Suite("Imaging: as strict as Pillow")
struct StrictDecodingTests {
    func photo(width: Int, height: Int, channels: Int) -> [UInt8] {
        (0..<(width * height * channels)).map { i in
            let x = (i / channels) % width, y = (i / channels) / width
            return UInt8(truncatingIfNeeded: x * 5 + y * 3 + (i % channels) * 70 + (x * y) % 23)
        }
    }

    /// Offsets of the start-of-scan markers (FF DA) found by walking the marker segments.
    func scanOffsets(_ jpeg: [UInt8]) -> [Int] {
        var offsets: [Int] = [], i = 2
        while i + 4 <= jpeg.count {
            guard jpeg[i] == 0xFF else { i += 1; continue } // entropy-coded data
            let marker = jpeg[i + 1]
            if marker == 0xD9 { break }
            if marker == 0x00 || marker == 0xFF || (0xD0...0xD7).contains(marker) { i += 1; continue }
            if marker == 0xDA { offsets.append(i) }
            i += 2 + Int(jpeg[i + 2]) << 8 + Int(jpeg[i + 3])
        }
        return offsets
    }

    /// TurboJPEG's own RGB decoding, the oracle for complete files.
    func turboRGB(_ jpeg: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        let handle = try #require(tjInitDecompress())
        defer { tjDestroy(handle) }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        let status = out.withUnsafeMutableBufferPointer { dst in
            jpeg.withUnsafeBufferPointer {
                tjDecompress2(handle, $0.baseAddress, UInt($0.count), dst.baseAddress, Int32(width), 0,
                              Int32(height), Int32(TJPF_RGB.rawValue), TJFLAG_ACCURATEDCT)
            }
        }
        try #require(status == 0)
        return out
    }

    @Test("a progressive JPEG decodes as TurboJPEG decodes it (colour 4:2:0 and gray)")
    func progressiveComplete() throws {
        let (w, h) = (45, 38)
        for (layout, subsampling) in [(ImageEncoder.JPEGPixels.rgb, ImageEncoder.Subsampling.s420), (.gray, .gray)] {
            let jpeg = try ImageEncoder.jpeg(photo(width: w, height: h, channels: layout.channels), width: w,
                                             height: h, layout: layout, subsampling: subsampling, progressive: true)
            #expect(scanOffsets(jpeg).count > 2, "not progressive")
            let image = try ImageDecoder.decode(data: jpeg, name: "p.jpg")
            #expect(image.pixels == (try turboRGB(jpeg, width: w, height: h)))
        }
    }

    @Test("a progressive JPEG cut anywhere after its first scan, between scans too, is truncated (D5)")
    func progressiveCut() throws {
        let (w, h) = (45, 38)
        let jpeg = try ImageEncoder.jpeg(photo(width: w, height: h, channels: 3), width: w, height: h,
                                         progressive: true)
        let scans = scanOffsets(jpeg)
        // Cut points: every byte from inside the first scan to just before EOI, which
        // includes cuts right before each later scan and inside the tables between scans.
        var accepted: [Int] = []
        for cut in (scans[0] + 2)..<(jpeg.count - 2) {
            do {
                _ = try ImageDecoder.decode(data: Array(jpeg.prefix(cut)), name: "cut-\(cut).jpg")
                accepted.append(cut)
            } catch let error as ImagingError {
                guard case let .truncated(path, "JPEG", detail) = error, path == "cut-\(cut).jpg",
                      detail.contains("image file is truncated") else {
                    Issue.record("cut at \(cut) of \(jpeg.count): \(error)")
                    return
                }
            }
        }
        #expect(accepted.isEmpty, "cuts decoded without an error: \(accepted), scans at \(scans)")
    }

    /// `jpeg` with a comment segment (COM) of 16 bytes inserted before its EOI marker.
    func withTrailingComment(_ jpeg: [UInt8]) -> [UInt8] {
        Array(jpeg.dropLast(2)) + [0xFF, 0xFE, 0x00, 0x12] + Array(repeating: UInt8(ascii: "c"), count: 16)
            + [0xFF, 0xD9]
    }

    @Test("a baseline JPEG cut after its last scan (inside a trailing segment, before EOI) decodes, as in Pillow")
    func cutAfterLastScan() throws {
        let (w, h) = (40, 32)
        let jpeg = withTrailingComment(try ImageEncoder.jpeg(photo(width: w, height: h, channels: 3), width: w,
                                                             height: h))
        let whole = try ImageDecoder.decode(data: jpeg, name: "whole.jpg")
        for cut in (jpeg.count - 19)..<jpeg.count { // inside the COM segment, then only EOI missing
            #expect(try ImageDecoder.decode(data: Array(jpeg.prefix(cut)), name: "c.jpg") == whole, "cut \(cut)")
        }
        // The same cut in a progressive file is a truncation: its scans are read to EOI first.
        let progressive = withTrailingComment(try ImageEncoder.jpeg(photo(width: w, height: h, channels: 3),
                                                                    width: w, height: h, progressive: true))
        let error = try decodingError(Array(progressive.dropLast(2)), fileName: "p.jpg")
        guard case .truncated(_, "JPEG", _)? = error else {
            Issue.record("expected a truncated JPEG, got \(String(describing: error))")
            return
        }
    }

    @Test("a PNG whose ancillary chunk before the image data fails its CRC is refused (D17)")
    func pngAncillaryCRC() throws {
        let rows = (0..<6).map { y in (0..<(8 * 3)).map { UInt8(truncatingIfNeeded: $0 * 9 + y) } }
        var png = TestPNGWriter.encode(width: 8, height: 6, bitDepth: 8, colorType: .rgb, rows: rows,
                                       extras: .init(gamma: 45455))
        #expect(try ImageDecoder.decode(data: png, name: "good.png").width == 8)
        let gamma = try #require((0..<(png.count - 4)).first { Array(png[$0..<($0 + 4)]) == Array("gAMA".utf8) })
        png[gamma + 5] ^= 0x10 // payload byte; the chunk's CRC no longer matches
        let error = try decodingError(png, fileName: "bad-gama.png")
        guard case let .corrupt(_, "PNG", detail)? = error else { // Pillow: "broken PNG file"
            Issue.record("expected a corrupt PNG, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("gAMA") && detail.contains("CRC"), "\(detail)")
    }
}
