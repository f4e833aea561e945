// MARK: - Single-byte code pages

/// One of ftfy's `CHARMAP_ENCODINGS`: a single-byte encoding whose bytes 0x00...0x7F are ASCII.
struct CodePage {
    /// ftfy's name for the encoding.
    let name: String
    /// ftfy's "sloppy" codecs also map U+FFFD to byte 0x1A (and cannot encode U+001A).
    let isSloppy: Bool
    /// What bytes 0x80...0xFF decode to.
    let high: [Unicode.Scalar]
    private let encodeHigh: [UInt32: UInt8]

    init(name: String, isSloppy: Bool, high: [Unicode.Scalar]) {
        precondition(high.count == 128, "code page \(name) must list 128 scalars")
        self.name = name
        self.isSloppy = isSloppy
        self.high = high
        var table: [UInt32: UInt8] = [:]
        for (k, s) in high.enumerated() { table[s.value] = UInt8(0x80 + k) }
        encodeHigh = table
    }

    /// `text.encode(name)`, or nil when a character has no byte (ftfy's `possible_encoding`).
    func encode(_ text: [Unicode.Scalar]) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        for s in text {
            if s.value < 0x80 {
                if isSloppy && s.value == 0x1A { return nil }
                bytes.append(UInt8(s.value))
            } else if isSloppy && s.value == 0xFFFD {
                bytes.append(0x1A)
            } else if let b = encodeHigh[s.value] {
                bytes.append(b)
            } else {
                return nil
            }
        }
        return bytes
    }

    static let latin1 = CodePage(name: "latin-1", isSloppy: false,
                                 high: (0x80...0xFF).map { Unicode.Scalar(UInt8($0)) })
    static let sloppyWindows1252 = CodePage(name: "sloppy-windows-1252", isSloppy: true,
                                            high: Array(FTFYTables.sloppyWindows1252.unicodeScalars))

    /// ftfy's `CHARMAP_ENCODINGS`, in the order they are tried.
    static let all: [CodePage] = [
        latin1,
        sloppyWindows1252,
        CodePage(name: "sloppy-windows-1251", isSloppy: true, high: Array(FTFYTables.sloppyWindows1251.unicodeScalars)),
        CodePage(name: "sloppy-windows-1250", isSloppy: true, high: Array(FTFYTables.sloppyWindows1250.unicodeScalars)),
        CodePage(name: "sloppy-windows-1253", isSloppy: true, high: Array(FTFYTables.sloppyWindows1253.unicodeScalars)),
        CodePage(name: "sloppy-windows-1254", isSloppy: true, high: Array(FTFYTables.sloppyWindows1254.unicodeScalars)),
        CodePage(name: "sloppy-windows-1257", isSloppy: true, high: Array(FTFYTables.sloppyWindows1257.unicodeScalars)),
        CodePage(name: "iso-8859-2", isSloppy: false, high: Array(FTFYTables.iso8859_2.unicodeScalars)),
        CodePage(name: "macroman", isSloppy: false, high: Array(FTFYTables.macRoman.unicodeScalars)),
        CodePage(name: "cp437", isSloppy: false, high: Array(FTFYTables.cp437.unicodeScalars)),
    ]
}

// MARK: - fix_encoding

extension FTFY {
    /// `ftfy.fix_encoding(text)`: repeat one mojibake-fixing step until the text stops changing.
    static func fixEncoding(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var text = text
        while true {
            let next = fixEncodingStep(text)
            if next == text { return text }
            text = next
        }
    }

    /// `_fix_encoding_one_step_and_explain` with the default configuration.
    static func fixEncodingStep(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if text.isEmpty || text.allSatisfy(\.isASCII) || !isBad(text) { return text }

        var latin1Possible = false
        for page in CodePage.all {
            guard var bytes = page.encode(text) else { continue }
            if page.name == CodePage.latin1.name { latin1Possible = true }
            if page.name != "macroman" && containsAlteredUTF8(bytes) {
                bytes = restoreByteA0(bytes)
            }
            if page.isSloppy {
                bytes = replaceLossySequences(bytes)
            }
            // ftfy switches to "utf-8-variants" when 0xED or 0xC0 occurs; without them the
            // variant decoder is plain strict UTF-8, so it can be used throughout.
            if let fixed = decodeUTF8Variants(bytes) { return fixed }
        }

        if containsUTF8Clue(text) {
            let fixed = decodeInconsistentUTF8(text)
            if fixed != text { return fixed }
        }

        // ftfy tests for "windows-1252" among the possible encodings, but only the sloppy
        // variant is ever listed, so latin-1 text always gets the strict cp1252 re-reading.
        if latin1Possible, let fixed = strictWindows1252(text), fixed != text {
            return fixed
        }

        if text.contains(where: { (0x80...0x9F).contains($0.value) }) {
            return fixC1Controls(text)
        }
        return text
    }

    // MARK: - Byte-level repairs

    /// `ALTERED_UTF8_RE.search(bytes)`: UTF-8 that would be valid if a space were byte 0xA0.
    static func containsAlteredUTF8(_ bytes: [UInt8]) -> Bool {
        (0..<bytes.count).contains { alteredUTF8Length(bytes, at: $0) != nil }
    }

    /// `restore_byte_a0`: first `\xc3 (?! |quele|quela|quilo|s )` -> `\xc3\xa0 `, then every
    /// `ALTERED_UTF8_RE` match gets its spaces replaced by 0xA0.
    static func restoreByteA0(_ bytes: [UInt8]) -> [UInt8] {
        var step: [UInt8] = []
        step.reserveCapacity(bytes.count + 4)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0xC3, i + 1 < bytes.count, bytes[i + 1] == 0x20, !isAGraveException(bytes, at: i + 2) {
                step.append(contentsOf: [0xC3, 0xA0, 0x20])
                i += 2
            } else {
                step.append(bytes[i])
                i += 1
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(step.count)
        i = 0
        while i < step.count {
            if let length = alteredUTF8Length(step, at: i) {
                out.append(contentsOf: step[i..<(i + length)].map { $0 == 0x20 ? 0xA0 : $0 })
                i += length
            } else {
                out.append(step[i])
                i += 1
            }
        }
        return out
    }

    /// `replace_lossy_sequences`: UTF-8 sequences with bytes lost to 0x1A (or one '?') become
    /// the UTF-8 of U+FFFD (`LOSSY_UTF8_RE`, alternatives tried in order).
    static func replaceLossySequences(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if let length = lossyLength(bytes, at: i) {
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                i += length
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// Strict UTF-8 decoding extended like ftfy's "utf-8-variants" codec: `C0 80` is U+0000 and a
    /// CESU-8 surrogate pair (`ED A0-AF 80-BF ED B0-BF 80-BF`) is one supplementary character.
    /// Returns nil where Python would raise `UnicodeDecodeError`.
    static func decodeUTF8Variants(_ bytes: [UInt8]) -> [Unicode.Scalar]? {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(bytes.count)
        let n = bytes.count
        var i = 0
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                out.append(Unicode.Scalar(b0))
                i += 1
                continue
            }
            if b0 == 0xC0, i + 1 < n, bytes[i + 1] == 0x80 {
                out.append("\u{0}")
                i += 2
                continue
            }
            if b0 == 0xED, i + 5 < n, (0xA0...0xAF).contains(bytes[i + 1]), isContinuation(bytes[i + 2]),
               bytes[i + 3] == 0xED, (0xB0...0xBF).contains(bytes[i + 4]), isContinuation(bytes[i + 5]) {
                let high = (UInt32(bytes[i + 1] & 0x0F) << 16) + (UInt32(bytes[i + 2] & 0x3F) << 10)
                let low = (UInt32(bytes[i + 4] & 0x0F) << 6) + UInt32(bytes[i + 5] & 0x3F)
                out.append(Unicode.Scalar(high + low + 0x10000)!)
                i += 6
                continue
            }
            guard let (scalar, length) = decodeStrictUTF8(bytes, at: i) else { return nil }
            out.append(scalar)
            i += length
        }
        return out
    }

    // MARK: - Inconsistent UTF-8

    /// `UTF8_DETECTOR_RE.search(text)`.
    static func containsUTF8Clue(_ text: [Unicode.Scalar]) -> Bool {
        (0..<text.count).contains { utf8ClueLength(text, at: $0) > 0 }
    }

    /// `decode_inconsistent_utf8`: each run that looks like UTF-8 mojibake and is bad on its own
    /// is fixed with `fix_encoding` in isolation (runs as long as the whole text are left).
    static func decodeInconsistentUTF8(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            let length = utf8ClueLength(text, at: i)
            if length == 0 {
                out.append(text[i])
                i += 1
                continue
            }
            let run = Array(text[i..<(i + length)])
            out.append(contentsOf: (length < text.count && isBad(run)) ? fixEncoding(run) : run)
            i += length
        }
        return out
    }

    // MARK: - Private

    /// `text.encode('latin-1').decode('windows-1252')`, nil if a byte is undefined in cp1252.
    private static func strictWindows1252(_ text: [Unicode.Scalar]) -> [Unicode.Scalar]? {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for s in text {
            guard s.value <= 0xFF else { return nil }
            switch s.value {
            case 0x81, 0x8D, 0x8F, 0x90, 0x9D: return nil
            case 0x80...0x9F: out.append(sloppyWindows1252Scalar(UInt8(s.value)))
            default: out.append(s)
            }
        }
        return out
    }

    /// Length of the `ALTERED_UTF8_RE` match at `i` (first matching alternative), if any.
    private static func alteredUTF8Length(_ b: [UInt8], at i: Int) -> Int? {
        func byte(_ k: Int) -> UInt8? { i + k < b.count ? b[i + k] : nil }
        func midContinuation(_ x: UInt8?) -> Bool {
            guard let x else { return false }
            return (0x80...0x84).contains(x) || (0x86...0x9F).contains(x) || (0xA1...0xBF).contains(x)
        }
        func cont(_ x: UInt8?) -> Bool { x.map(isContinuation) ?? false }
        guard let b0 = byte(0) else { return nil }
        let b1 = byte(1), b2 = byte(2), b3 = byte(3)
        if [0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9].contains(b0) && b1 == 0x20 { return 2 }
        if (b0 == 0xE2 || b0 == 0xE3) && b1 == 0x20 && midContinuation(b2) { return 3 }
        if (0xE0...0xE3).contains(b0) && midContinuation(b1) && b2 == 0x20 { return 3 }
        if b0 == 0xF0 {
            if b1 == 0x20 && cont(b2) && cont(b3) { return 4 }
            if cont(b1) && b2 == 0x20 && cont(b3) { return 4 }
            if cont(b1) && cont(b2) && b3 == 0x20 { return 4 }
        }
        return nil
    }

    /// The negative look-ahead of `A_GRAVE_WORD_RE`: ` `, `quele`, `quela`, `quilo` or `s `.
    private static func isAGraveException(_ b: [UInt8], at i: Int) -> Bool {
        func starts(_ word: String) -> Bool {
            let w = Array(word.utf8)
            return i + w.count <= b.count && Array(b[i..<(i + w.count)]) == w
        }
        return starts(" ") || starts("quele") || starts("quela") || starts("quilo") || starts("s ")
    }

    /// Length of the `LOSSY_UTF8_RE` match at `i` (first matching alternative), if any.
    private static func lossyLength(_ b: [UInt8], at i: Int) -> Int? {
        func byte(_ k: Int) -> UInt8? { i + k < b.count ? b[i + k] : nil }
        func lost(_ x: UInt8?) -> Bool { x == 0x1A }                         // [\x1a]
        func lostOrQ(_ x: UInt8?) -> Bool { x == 0x1A || x == 0x3F }         // [\x1a?]
        func lostOrCont(_ x: UInt8?) -> Bool { x == 0x1A || (x.map(isContinuation) ?? false) }
        func any(_ x: UInt8?) -> Bool { lostOrQ(x) || (x.map(isContinuation) ?? false) }
        func inRange(_ x: UInt8?, _ r: ClosedRange<UInt8>) -> Bool { x.map { r.contains($0) } ?? false }
        let b0 = byte(0), b1 = byte(1), b2 = byte(2), b3 = byte(3), b4 = byte(4), b5 = byte(5)
        if inRange(b0, 0xC2...0xDF) && lost(b1) { return 2 }
        if inRange(b0, 0xC2...0xC3) && b1 == 0x3F { return 2 }
        if b0 == 0xED && inRange(b1, 0xA0...0xAF) && lostOrQ(b2)
            && b3 == 0xED && inRange(b4, 0xB0...0xBF) && any(b5) { return 6 }
        if b0 == 0xED && inRange(b1, 0xA0...0xAF) && any(b2)
            && b3 == 0xED && inRange(b4, 0xB0...0xBF) && lostOrQ(b5) { return 6 }
        if inRange(b0, 0xE0...0xEF) && lostOrQ(b1) && lostOrCont(b2) { return 3 }
        if inRange(b0, 0xE0...0xEF) && lostOrCont(b1) && lostOrQ(b2) { return 3 }
        if inRange(b0, 0xF0...0xF4) {
            if lostOrQ(b1) && lostOrCont(b2) && lostOrCont(b3) { return 4 }
            if lostOrCont(b1) && lostOrQ(b2) && lostOrCont(b3) { return 4 }
            if lostOrCont(b1) && lostOrCont(b2) && lostOrQ(b3) { return 4 }
        }
        if lost(b0) { return 1 }
        return nil
    }

    /// Length of the `UTF8_DETECTOR_RE` match at `i` (0 if none): not preceded by a strict
    /// continuation clue, then one or more of `first_of_2 cont`, `first_of_3 cont{2}`,
    /// `first_of_4 cont{3}`, each step taking the first alternative that fits.
    private static func utf8ClueLength(_ text: [Unicode.Scalar], at i: Int) -> Int {
        if i > 0 && MojibakeClass.of(text[i - 1]).contains(.utf8ContinuationStrict) { return 0 }
        func isCont(_ k: Int) -> Bool { k < text.count && MojibakeClass.of(text[k]).contains(.utf8Continuation) }
        var j = i
        while j < text.count {
            let c = MojibakeClass.of(text[j])
            if c.contains(.utf8FirstOf2) && isCont(j + 1) {
                j += 2
            } else if c.contains(.utf8FirstOf3) && isCont(j + 1) && isCont(j + 2) {
                j += 3
            } else if c.contains(.utf8FirstOf4) && isCont(j + 1) && isCont(j + 2) && isCont(j + 3) {
                j += 4
            } else {
                break
            }
        }
        return j - i
    }

    private static func isContinuation(_ b: UInt8) -> Bool { (0x80...0xBF).contains(b) }

    /// One well-formed UTF-8 character at `i` (no overlongs, surrogates or values above
    /// U+10FFFF), or nil.
    private static func decodeStrictUTF8(_ b: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let b0 = b[i]
        let length: Int
        var value: UInt32
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2; value = UInt32(b0 & 0x1F)
        case 0xE0: length = 3; value = 0; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; value = UInt32(b0 & 0x0F)
        case 0xED: length = 3; value = 0x0D; secondRange = 0x80...0x9F
        case 0xF0: length = 4; value = 0; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4; value = UInt32(b0 & 0x07)
        case 0xF4: length = 4; value = 4; secondRange = 0x80...0x8F
        default: return nil
        }
        guard i + length <= b.count, secondRange.contains(b[i + 1]) else { return nil }
        for k in 1..<length {
            guard isContinuation(b[i + k]) else { return nil }
            value = (value << 6) | UInt32(b[i + k] & 0x3F)
        }
        return Unicode.Scalar(value).map { ($0, length) }
    }
}
