import Testing
@testable import Support

/// The two CRC-32s the project computes (zip members, TFRecord frames) against their
/// published check values, and chaining.
@Suite struct ReflectedCRC32Tests {
    let check = Array("123456789".utf8)

    @Test func checkValues() {
        #expect(ReflectedCRC32.zip.checksum(check) == 0xCBF4_3926)
        #expect(ReflectedCRC32.castagnoli.checksum(check) == 0xE306_9283)
        #expect(ReflectedCRC32.zip.checksum([]) == 0)
        #expect(ReflectedCRC32.zip.checksum([UInt8](repeating: 0, count: 32)) == 0x190A_55AD)
    }

    @Test func updateChainsOverPieces() {
        let crc = ReflectedCRC32.zip
        let first = check.prefix(4).withUnsafeBytes { crc.update(0, $0) }
        let whole = check.dropFirst(4).withUnsafeBytes { crc.update(first, $0) }
        #expect(whole == crc.checksum(check))
    }
}
