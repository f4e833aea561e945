import Testing
@testable import Support

@Suite("HalfFloat")
struct HalfFloatTests {
    @Test("binary16 -> Float is exact for all 65536 bit patterns")
    func widenAllHalves() {
        for bits in 0...UInt16.max {
            let ours = HalfFloat.float(fromHalfBits: bits)
            let reference = Float(Float16(bitPattern: bits))
            if reference.isNaN {
                #expect(ours.isNaN)
            } else if ours.bitPattern != reference.bitPattern {
                Issue.record("half \(bits): \(ours) != \(reference)")
            }
        }
    }

    @Test("Float -> binary16 rounds to nearest even: exact values, ties, neighbours, overflow")
    func narrowMatchesFloat16() {
        var mismatches = 0
        func check(_ x: Float) {
            let ours = HalfFloat.halfBits(from: x)
            let reference = Float16(x).bitPattern
            if x.isNaN {
                if !(Float16(bitPattern: ours).isNaN) { mismatches += 1 }
            } else if ours != reference {
                mismatches += 1
                if mismatches < 5 {
                    let got = "0x\(String(ours, radix: 16)) != 0x\(String(reference, radix: 16))"
                    Issue.record("\(x) (0x\(String(x.bitPattern, radix: 16))): \(got)")
                }
            }
        }
        for bits in 0...UInt16.max {
            let value = Float(Float16(bitPattern: bits))
            check(value)
            guard value.isFinite, bits & 0x7fff != 0x7bff else { continue }
            let next = Float(Float16(bitPattern: bits &+ 1))
            guard next.isFinite else { continue }
            let mid = (value + next) / 2  // a tie, exact in Float
            check(mid)
            check(mid.nextUp)
            check(mid.nextDown)
        }
        for x: Float in [65504, 65519.99, 65520, 1e6, -1e6, .infinity, -.infinity, .nan, 1e-8, 2.98e-8, 5.96e-8, -0.0] {
            check(x)
        }
        #expect(mismatches == 0)
        #expect(HalfFloat.halfBits(from: 65520) == 0x7c00)
        #expect(HalfFloat.halfBits(from: 1.0) == 0x3c00)
    }

    @Test("bfloat16 conversions: exact widening, ties to even, NaN")
    func bfloat16() {
        #expect(HalfFloat.float(fromBFloat16Bits: 0x3f80) == 1.0)
        #expect(HalfFloat.float(fromBFloat16Bits: 0xc040) == -3.0)
        #expect(HalfFloat.bfloat16Bits(from: 1.0) == 0x3f80)
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties to the even 1.
        #expect(HalfFloat.bfloat16Bits(from: 1 + 0x1p-8) == 0x3f80)
        // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6: ties to the even one.
        #expect(HalfFloat.bfloat16Bits(from: 1 + 3 * 0x1p-8) == 0x3f82)
        #expect(HalfFloat.bfloat16Bits(from: (1 + 0x1p-8).nextUp) == 0x3f81)
        #expect(HalfFloat.float(fromBFloat16Bits: HalfFloat.bfloat16Bits(from: .nan)).isNaN)
        #expect(HalfFloat.bfloat16Bits(from: .infinity) == 0x7f80)
        // Rounding picks the nearer neighbour for arbitrary values.
        var state: UInt32 = 12345
        for _ in 0..<10_000 {
            state = state &* 1_664_525 &+ 1_013_904_223
            let x = Float(bitPattern: (state & 0x3fff_ffff) | 0x3000_0000)
            let rounded = HalfFloat.float(fromBFloat16Bits: HalfFloat.bfloat16Bits(from: x))
            let down = Float(bitPattern: x.bitPattern & 0xffff_0000)
            let up = Float(bitPattern: (x.bitPattern & 0xffff_0000) + 0x1_0000)
            #expect(abs(rounded - x) <= min(abs(down - x), abs(up - x)))
        }
    }
}
