// MARK: - Minimal PNG writer (tests only)
//
// Builds PNG files of any bit depth / colour type with stored (uncompressed) deflate
// blocks, so decoder tests can exercise formats the fixtures do not contain.

enum TestPNGWriter {
    /// PNG colour types.
    enum ColorType: UInt8 {
        case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6
    }

    /// Extra chunks placed before IDAT.
    struct Extras {
        var palette: [UInt8]? = nil // PLTE: r, g, b per entry
        var transparency: [UInt8]? = nil // tRNS payload
        var gamma: UInt32? = nil // gAMA payload (100000 = linear)
        var sRGB: Bool = false
    }

    /// A PNG file. `rows` hold each row's packed samples (big-endian for 16 bits), without
    /// the filter byte. `interlaced` needs whole-byte pixels (`bytesPerPixel`).
    static func encode(width: Int, height: Int, bitDepth: UInt8, colorType: ColorType, rows: [[UInt8]],
                       extras: Extras = Extras(), interlaced: Bool = false, bytesPerPixel: Int = 0) -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr = be32(UInt32(width)) + be32(UInt32(height))
        ihdr += [bitDepth, colorType.rawValue, 0, 0, interlaced ? 1 : 0]
        out += chunk("IHDR", ihdr)
        if let gamma = extras.gamma { out += chunk("gAMA", be32(gamma)) }
        if extras.sRGB { out += chunk("sRGB", [0]) }
        if let palette = extras.palette { out += chunk("PLTE", palette) }
        if let transparency = extras.transparency { out += chunk("tRNS", transparency) }
        var raw: [UInt8] = []
        if interlaced {
            precondition(bytesPerPixel > 0, "interlacing needs whole-byte pixels")
            let passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
                          (0, 1, 1, 2)]
            for (x0, y0, dx, dy) in passes {
                let xs = Array(stride(from: x0, to: width, by: dx))
                guard !xs.isEmpty else { continue }
                for y in stride(from: y0, to: height, by: dy) {
                    raw.append(0)
                    for x in xs { raw += rows[y][(x * bytesPerPixel)..<((x + 1) * bytesPerPixel)] }
                }
            }
        } else {
            for row in rows { raw += [0] + row }
        }
        out += chunk("IDAT", zlibStored(raw))
        out += chunk("IEND", [])
        return out
    }

    // MARK: - Pieces

    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(UInt32(data.count)) + body + be32(crc32(body))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// A zlib stream of stored deflate blocks.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let count = min(65535, data.count - start)
            let final: UInt8 = start + count == data.count ? 1 : 0
            out += [final, UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            out += data[start..<(start + count)]
            start += count
        } while start < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + be32((b << 16) | a)
    }
}
