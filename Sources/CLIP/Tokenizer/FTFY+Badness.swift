// MARK: - Character classes

/// The character classes of ftfy's mojibake heuristic (`badness.MOJIBAKE_CATEGORIES`) and of
/// its UTF-8 detector (`chardata.UTF8_CLUES`), as bits.
struct MojibakeClass: OptionSet {
    let rawValue: UInt32

    static let common = MojibakeClass(rawValue: 1 << 0)
    static let c1 = MojibakeClass(rawValue: 1 << 1)
    static let bad = MojibakeClass(rawValue: 1 << 2)
    static let law = MojibakeClass(rawValue: 1 << 3)
    static let currency = MojibakeClass(rawValue: 1 << 4)
    static let startPunctuation = MojibakeClass(rawValue: 1 << 5)
    static let endPunctuation = MojibakeClass(rawValue: 1 << 6)
    static let numeric = MojibakeClass(rawValue: 1 << 7)
    static let kaomoji = MojibakeClass(rawValue: 1 << 8)
    static let upperAccented = MojibakeClass(rawValue: 1 << 9)
    static let lowerAccented = MojibakeClass(rawValue: 1 << 10)
    static let upperCommon = MojibakeClass(rawValue: 1 << 11)
    static let lowerCommon = MojibakeClass(rawValue: 1 << 12)
    static let box = MojibakeClass(rawValue: 1 << 13)
    static let utf8FirstOf2 = MojibakeClass(rawValue: 1 << 14)
    static let utf8FirstOf3 = MojibakeClass(rawValue: 1 << 15)
    static let utf8FirstOf4 = MojibakeClass(rawValue: 1 << 16)
    static let utf8Continuation = MojibakeClass(rawValue: 1 << 17)
    static let utf8ContinuationStrict = MojibakeClass(rawValue: 1 << 18)

    /// The classes `s` belongs to.
    static func of(_ s: Unicode.Scalar) -> MojibakeClass {
        MojibakeClass(rawValue: table[s.value] ?? 0)
    }

    private static let table: [UInt32: UInt32] = {
        let members: [(MojibakeClass, String)] = [
            (.common, FTFYTables.common), (.c1, FTFYTables.c1), (.bad, FTFYTables.bad),
            (.law, FTFYTables.law), (.currency, FTFYTables.currency),
            (.startPunctuation, FTFYTables.startPunctuation), (.endPunctuation, FTFYTables.endPunctuation),
            (.numeric, FTFYTables.numeric), (.kaomoji, FTFYTables.kaomoji),
            (.upperAccented, FTFYTables.upperAccented), (.lowerAccented, FTFYTables.lowerAccented),
            (.upperCommon, FTFYTables.upperCommon), (.lowerCommon, FTFYTables.lowerCommon),
            (.box, FTFYTables.box),
            (.utf8FirstOf2, FTFYTables.utf8FirstOf2), (.utf8FirstOf3, FTFYTables.utf8FirstOf3),
            (.utf8FirstOf4, FTFYTables.utf8FirstOf4), (.utf8Continuation, FTFYTables.utf8Continuation),
            (.utf8ContinuationStrict, FTFYTables.utf8ContinuationStrict),
        ]
        var table: [UInt32: UInt32] = [:]
        for (cls, chars) in members {
            for s in chars.unicodeScalars { table[s.value, default: 0] |= cls.rawValue }
        }
        return table
    }()
}

// MARK: - is_bad

extension FTFY {
    /// `ftfy.badness.is_bad(text)`: does any alternative of `BADNESS_RE` match somewhere?
    ///
    /// The alternatives are transcribed one by one below (same order and character classes);
    /// `\s` is Python's `str.isspace`, `\w` is a letter, a character with a numeric value, or '_'.
    static func isBad(_ text: [Unicode.Scalar]) -> Bool {
        let cls = text.map(MojibakeClass.of)
        let n = text.count
        for i in 0..<n {
            // Every alternative that starts with an ASCII character has a non-ASCII one among
            // its first three, so three ASCII characters in a row cannot start a match.
            if text[i].isASCII && (i + 1 >= n || text[i + 1].isASCII)
                && (i + 2 >= n || text[i + 2].isASCII) { continue }
            if badnessMatches(text, cls, at: i) { return true }
        }
        return false
    }

    // MARK: - Private

    private static func badnessMatches(_ t: [Unicode.Scalar], _ c: [MojibakeClass], at i: Int) -> Bool {
        let n = t.count
        // Class membership / literal tests at i + k, false past the end.
        func k(_ o: Int, _ set: MojibakeClass) -> Bool { i + o < n && (c[i + o].rawValue & set.rawValue) != 0 }
        func lit(_ o: Int, _ chars: [Unicode.Scalar]) -> Bool { i + o < n && chars.contains(t[i + o]) }
        func ch(_ o: Int, _ s: Unicode.Scalar) -> Bool { i + o < n && t[i + o] == s }
        func lowerAZ(_ o: Int) -> Bool { i + o < n && (0x61...0x7A).contains(t[i + o].value) }
        func letterAZ(_ o: Int) -> Bool { lowerAZ(o) || (i + o < n && (0x41...0x5A).contains(t[i + o].value)) }
        func space(_ o: Int) -> Bool { i + o < n && PythonText.isSpace(t[i + o]) }
        func word(_ o: Int) -> Bool { i + o < n && isPythonWordCharacter(t[i + o]) }

        if k(0, .c1) { return true }
        if k(0, Sets.wideOrBad) && k(1, .bad) { return true }
        if letterAZ(0) && k(1, Sets.common) && k(2, .bad) { return true }
        if k(0, .bad) && k(1, Sets.wide) { return true }
        if k(0, Sets.beforeUpperAccented) && k(1, .upperAccented) { return true }
        if k(0, Sets.beforeLowerAccented) && k(1, .lowerAccented) { return true }
        if k(0, Sets.beforeCurrency) && k(1, .currency) { return true }
        if space(0) && k(1, .upperAccented) && k(2, .currency) { return true }
        if k(0, Sets.upperAccentedOrBox) && k(1, Sets.numericOrLaw) { return true }
        if k(0, Sets.beforeStartNumeric) && k(1, .startPunctuation) && k(2, .numeric) { return true }
        if k(0, Sets.beforeEndStart) && k(1, .endPunctuation) && k(2, .startPunctuation) { return true }
        if k(0, Sets.beforeStart) && k(1, .startPunctuation) { return true }
        if lowerAZ(0) && k(1, .upperAccented) && k(2, Sets.startOrCurrency) { return true }
        if k(0, .box) && k(1, .kaomoji) { return true }
        if k(0, Sets.beforeBox) && k(1, .box) { return true }
        if k(0, .box) && k(1, .endPunctuation) { return true }
        if k(0, Sets.accented) && k(1, Sets.punctuation) && word(2) { return true }
        // The ligature œ when not followed by an unaccented Latin letter.
        if lit(0, Literals.oeLigature) && i + 1 < n && !letterAZ(1) { return true }
        // Degree signs after capital letters.
        if k(0, .upperAccented) && ch(1, "°") { return true }
        // Common Windows-1252 2-character mojibake.
        if lit(0, Literals.cp1252Lead) && (lit(1, Literals.cp1252Second) || k(1, Sets.punctuation)) { return true }
        if ch(0, "×") && lit(1, Literals.superscriptTwoThree) { return true }
        // Windows-1252 mojibake of Arabic words: four characters.
        if lit(0, Literals.arabicLead) && (k(1, Sets.arabicSecond) || lit(1, Literals.arabicExtra))
            && lit(2, Literals.arabicLead) && (k(3, Sets.arabicSecond) || lit(3, Literals.arabicExtra)) { return true }
        // Windows-1252 mojibake starting 3-character sequences of some South Asian scripts.
        if ch(0, "à") && lit(1, Literals.southAsianSecond) { return true }
        // MacRoman mojibake.
        if ch(0, "√") && lit(1, Literals.macRomanAfterRoot) { return true }
        if ch(0, "≈") && lit(1, Literals.macRomanAfterApprox) { return true }
        if ch(0, "‚") && ch(1, "Ä") && lit(2, Literals.macRomanAfterQuoteA) { return true }
        if ch(0, "‚") && lit(1, Literals.macRomanAfterQuote) && lit(2, Literals.macRomanThird) { return true }
        // Windows-1251 mojibake of characters in the U+2000 range.
        if ch(0, "в") && ch(1, "Ђ") { return true }
        // Windows-1251 mojibake of Latin-1 characters and/or the Cyrillic alphabet.
        if lit(0, Literals.cyrillicFrame) && (k(1, Sets.frameMiddle) || lit(1, Literals.degreeMicro))
            && lit(2, Literals.cyrillicFrame) { return true }
        if ch(0, "Г") && ch(1, "ў") && ch(2, "В") && ch(3, "Ђ") && ch(4, "В") && i + 5 < n && t[i + 5] != "\n"
            && (letterAZ(6) || ch(6, " ")) { return true }
        // Windows-1252 encodings of 'à' and 'á', and of U+00A0 itself.
        if ch(0, "Ã") && lit(1, Literals.afterATilde) { return true }
        if lowerAZ(0) && lit(1, Literals.aTildeCircumflex) && ch(2, " ") { return true }
        if lowerAZ(0) && space(1) && lit(2, Literals.aTildeCircumflex) && ch(3, " ") { return true }
        if i == 0 && lit(0, Literals.aTildeCircumflex) && ch(1, " ") { return true }
        // Â encoding exactly the same character that follows.
        if (lowerAZ(0) || lit(0, Literals.sentenceEnd) || k(0, .endPunctuation)) && ch(1, "Â")
            && (ch(2, " ") || k(2, Sets.punctuation)) { return true }
        // Windows-1253 mojibake of characters in the U+2000 range.
        if ch(0, "β") && ch(1, "€") && lit(2, Literals.greekAfterEuro) { return true }
        // Windows-1253 mojibake of Latin-1 characters and/or the Greek alphabet.
        if lit(0, Literals.greekFrame) && (k(1, Sets.frameMiddle) || ch(1, "°"))
            && lit(2, Literals.greekFrame) { return true }
        // Windows-1257 mojibake of characters in the U+2000 range.
        if ch(0, "ā") && ch(1, "€") { return true }
        return false
    }

    /// The unions of classes that `BADNESS_RE` uses, built once.
    private enum Sets {
        static let accented: MojibakeClass = [.lowerAccented, .upperAccented]
        static let punctuation: MojibakeClass = [.startPunctuation, .endPunctuation]
        static let common: MojibakeClass = [.lowerCommon, .upperCommon]
        static let wide: MojibakeClass = [.lowerAccented, .upperAccented, .box, .startPunctuation, .endPunctuation,
                                          .currency, .numeric, .law]
        static let wideOrBad = wide.union(.bad)
        static let beforeUpperAccented: MojibakeClass = [.lowerAccented, .lowerCommon, .box, .endPunctuation,
                                                         .currency, .numeric]
        static let beforeLowerAccented: MojibakeClass = [.box, .endPunctuation, .currency, .numeric]
        static let beforeCurrency: MojibakeClass = [.lowerAccented, .box, .endPunctuation]
        static let upperAccentedOrBox: MojibakeClass = [.upperAccented, .box]
        static let numericOrLaw: MojibakeClass = [.numeric, .law]
        static let beforeStartNumeric = accented.union([.box, .currency, .endPunctuation])
        static let beforeEndStart = accented.union([.currency, .numeric, .box, .law])
        static let beforeStart: MojibakeClass = [.currency, .numeric, .box]
        static let startOrCurrency: MojibakeClass = [.startPunctuation, .currency]
        static let beforeBox = accented.union([.currency, .numeric, .startPunctuation, .endPunctuation, .law])
        static let arabicSecond: MojibakeClass = [.common, .currency, .bad, .numeric, .startPunctuation]
        static let frameMiddle: MojibakeClass = [.c1, .bad, .startPunctuation, .endPunctuation, .currency]
    }

    /// The literal character sets of `BADNESS_RE`.
    private enum Literals {
        static let oeLigature = Array("Œœ".unicodeScalars)
        static let cp1252Lead = Array("ÂÃÎÐ".unicodeScalars)
        static let cp1252Second = Array("€œŠš¢£Ÿž\u{A0}\u{AD}®©°·»–—´".unicodeScalars)
        static let superscriptTwoThree = Array("²³".unicodeScalars)
        static let arabicLead = Array("ØÙ".unicodeScalars)
        static let arabicExtra = Array("ŸŠ®°µ»".unicodeScalars)
        static let southAsianSecond = Array("²µ¹¼½¾".unicodeScalars)
        static let macRomanAfterRoot = Array("±∂†≠®™´≤≥¥µø".unicodeScalars)
        static let macRomanAfterApprox = Array("°¢".unicodeScalars)
        static let macRomanAfterQuoteA = Array("ìîïòôúùû†°¢π".unicodeScalars)
        static let macRomanAfterQuote = Array("âó".unicodeScalars)
        static let macRomanThird = Array("àä°ê".unicodeScalars)
        static let cyrillicFrame = Array("ВГРС".unicodeScalars)
        static let degreeMicro = Array("°µ".unicodeScalars)
        static let afterATilde = Array("\u{A0}¡".unicodeScalars)
        static let aTildeCircumflex = Array("ÃÂ".unicodeScalars)
        static let sentenceEnd = Array(".,?!".unicodeScalars)
        static let greekAfterEuro = Array("™\u{A0}Ά\u{AD}®°".unicodeScalars)
        static let greekFrame = Array("ΒΓΞΟ".unicodeScalars)
    }

    /// Python `re`'s `\w` for `str` patterns: alphabetic (categories L*), numeric, or '_'.
    private static func isPythonWordCharacter(_ s: Unicode.Scalar) -> Bool {
        if s == "_" { return true }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return true
        default:
            return s.properties.numericType != nil
        }
    }
}
