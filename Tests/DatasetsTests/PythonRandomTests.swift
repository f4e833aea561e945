import Foundation
import Testing
@testable import Datasets

/// The CPython fixture written by Scripts/gen_random_fixture.py.
struct PythonFixture: Decodable {
    struct Bits: Decodable { let k: Int; let values: [String] }
    struct Below: Decodable { let n: String; let values: [String] }
    struct Mixed: Decodable { let random: Double; let bits32: UInt32; let below1000: Int; let sample: [Int] }
    struct Generator: Decodable {
        let seed: String
        let seed_words: [UInt32]
        let random: [Double]
        let getrandbits32: [UInt32]
        let getrandbits: [Bits]
        let randbelow: [Below]
        let mixed: [Mixed]
    }
    struct SampleCase: Decodable { let seed: Int; let n: Int; let k: Int; let result: [Int] }
    struct ShuffleCase: Decodable { let seed: Int; let n: Int; let result: [Int] }
    struct ChoicesCase: Decodable { let seed: Int; let n: Int; let k: Int; let result: [Int] }
    struct Pair: Decodable {
        let index: Int, label: Int
        init(from d: Decoder) throws {
            var c = try d.unkeyedContainer()
            index = try c.decode(Int.self)
            label = try c.decode(Int.self)
        }
    }
    struct SubsampleResult: Decodable { let train: [Pair]; let val: [Pair] }
    struct FewShotCase: Decodable {
        let seed: Int; let num_shots: Int; let train: [Int]; let val: [Int]
        let subsample: [String: SubsampleResult]
    }
    struct RepeatCase: Decodable { let seed: Int; let num_shots: Int; let train: [Int] }
    struct FewShotFixture: Decodable {
        let train_labels: [Int]; let val_labels: [Int]; let cases: [FewShotCase]; let repeat_cases: [RepeatCase]
    }
    let format_version: Int
    let python: String
    let generators: [Generator]
    let sample: [SampleCase]
    let shuffle: [ShuffleCase]
    let choices: [ChoicesCase]
    let fewshot: FewShotFixture

    static func load() throws -> PythonFixture {
        let data = try Data(contentsOf: datasetFixtures.appendingPathComponent("python_random.json"))
        return try JSONDecoder().decode(PythonFixture.self, from: data)
    }
}

/// Decimal digits of a little-endian array of 32-bit words.
func decimalString(_ words: [UInt32]) -> String {
    var w = words
    while w.last == 0 { w.removeLast() }
    if w.isEmpty { return "0" }
    var digits: [Character] = []
    while !w.isEmpty {
        var rem: UInt64 = 0
        for i in stride(from: w.count - 1, through: 0, by: -1) {
            let cur = rem << 32 | UInt64(w[i])
            w[i] = UInt32(cur / 10)
            rem = cur % 10
        }
        digits.append(Character(String(rem)))
        while w.last == 0 { w.removeLast() }
    }
    return String(digits.reversed())
}

@Suite("PythonRandom matches CPython 3.11")
struct PythonRandomTests {
    let fixture: PythonFixture

    init() throws { fixture = try PythonFixture.load() }

    @Test func fixtureVersion() {
        #expect(fixture.format_version == 1)
        #expect(fixture.generators.count == 8)
    }

    @Test func seedingFromIntEqualsSeedWords() throws {
        for g in fixture.generators {
            guard let seed = Int(g.seed) else { continue }  // 2**64 + 7 does not fit
            var a = PythonRandom(seed: seed), b = PythonRandom(seedWords: g.seed_words)
            #expect((0..<700).map { _ in a.nextUInt32() } == (0..<700).map { _ in b.nextUInt32() }, "seed \(seed)")
        }
    }

    @Test func randomDoubles() {
        for g in fixture.generators {
            var r = PythonRandom(seedWords: g.seed_words)
            let mine = (0..<g.random.count).map { _ in r.random() }
            #expect(mine == g.random, "seed \(g.seed)")
        }
    }

    @Test func getrandbits32() {
        for g in fixture.generators {
            var r = PythonRandom(seedWords: g.seed_words)
            #expect((0..<g.getrandbits32.count).map { _ in UInt32(r.getrandbits(32)) } == g.getrandbits32,
                    "seed \(g.seed)")
        }
    }

    @Test func getrandbitsAnyWidth() {
        for g in fixture.generators {
            for c in g.getrandbits {
                var r = PythonRandom(seedWords: g.seed_words)
                let mine = (0..<c.values.count).map { _ in decimalString(r.getrandbitsWords(c.k)) }
                #expect(mine == c.values, "seed \(g.seed) k \(c.k)")
                if c.k <= 64 {
                    var r2 = PythonRandom(seedWords: g.seed_words)
                    #expect((0..<c.values.count).map { _ in String(r2.getrandbits(c.k)) } == c.values,
                            "seed \(g.seed) k \(c.k)")
                }
            }
        }
    }

    @Test func randbelow() throws {
        for g in fixture.generators {
            for c in g.randbelow {
                let n = try #require(Int(c.n))
                var r = PythonRandom(seedWords: g.seed_words)
                #expect((0..<c.values.count).map { _ in String(r.randbelow(n)) } == c.values, "seed \(g.seed) n \(n)")
            }
        }
    }

    @Test func stateCarriesAcrossMixedCalls() {
        for g in fixture.generators {
            var r = PythonRandom(seedWords: g.seed_words)
            for (step, m) in g.mixed.enumerated() {
                #expect(r.random() == m.random, "seed \(g.seed) step \(step)")
                #expect(UInt32(r.getrandbits(32)) == m.bits32, "seed \(g.seed) step \(step)")
                #expect(r.randbelow(1000) == m.below1000, "seed \(g.seed) step \(step)")
                #expect(r.sampleIndices(50, 6) == m.sample, "seed \(g.seed) step \(step)")
            }
        }
    }

    @Test func sampleBothBranches() {
        var poolCases = 0, setCases = 0
        for c in fixture.sample {
            var r = PythonRandom(seed: c.seed)
            #expect(r.sampleIndices(c.n, c.k) == c.result, "seed \(c.seed) n \(c.n) k \(c.k)")
            if c.n <= PythonRandom.sampleSetSize(c.k) { poolCases += 1 } else { setCases += 1 }
        }
        #expect(poolCases > 20 && setCases > 20, "fixture covers both sample() algorithms")
    }

    @Test func sampleSetSizeRule() {
        // 21 + 4^ceil(log4(3k)) for k > 5: k = 6 -> 21 + 64 (log4 18 = 2.08), k = 16 -> 21 + 64 (log4 48 = 2.79).
        #expect(PythonRandom.sampleSetSize(5) == 21)
        #expect(PythonRandom.sampleSetSize(6) == 85)
        #expect(PythonRandom.sampleSetSize(16) == 85)
        #expect(PythonRandom.sampleSetSize(22) == 21 + 256)
    }

    @Test func shuffle() {
        for c in fixture.shuffle {
            var r = PythonRandom(seed: c.seed)
            var x = Array(0..<c.n)
            r.shuffle(&x)
            #expect(x == c.result, "seed \(c.seed) n \(c.n)")
        }
    }

    @Test func choices() {
        for c in fixture.choices {
            var r = PythonRandom(seed: c.seed)
            #expect(r.choices(Array(0..<c.n), k: c.k) == c.result, "seed \(c.seed) n \(c.n) k \(c.k)")
        }
    }

    @Test func negativeSeedIsItsAbsoluteValue() {
        var a = PythonRandom(seed: -5), b = PythonRandom(seed: 5)
        #expect(a.random() == b.random())
    }
}
