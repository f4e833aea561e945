// MARK: - Pre-tokenisation

/// CLIP's word splitter: a hand-written scanner equivalent to `regex.findall` with
///
///     <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
///
/// compiled by Python's `regex` module with IGNORECASE. At each position the alternatives are
/// tried in order; where none matches, one character is skipped. Details that follow from
/// the `regex` module's semantics (checked against it over all code points):
/// - `\s` is the White_Space property; `\p{L}` is categories Lu/Ll/Lt/Lm/Lo, `\p{N}` Nd/Nl/No.
/// - IGNORECASE uses simple case folding, so the literals also match upper-case ASCII and
///   'ſ' (U+017F LONG S) matches 's' (`'ſ` is a contraction, `<|ſtartoftext|>` a special).
/// - U+0345 COMBINING GREEK YPOGEGRAMMENI (Mn) folds to 'ι', so under IGNORECASE the negated
///   class `[^\s\p{L}\p{N}]` excludes it, and it is no letter either: it matches nothing and
///   is dropped.
enum PreTokenizer {
    /// The ranges (into `text`) of the pieces, in order.
    static func split(_ text: [Unicode.Scalar]) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        let n = text.count
        var i = 0
        while i < n {
            let s = text[i]
            if s == "<", let length = matchSpecial(text, at: i) {
                pieces.append(i..<(i + length))
                i += length
            } else if s == "'", let length = matchContraction(text, at: i) {
                pieces.append(i..<(i + length))
                i += length
            } else {
                switch kind(s) {
                case .letter:
                    var j = i + 1
                    while j < n && kind(text[j]) == .letter { j += 1 }
                    pieces.append(i..<j)
                    i = j
                case .number:
                    pieces.append(i..<(i + 1))
                    i += 1
                case .other:
                    var j = i + 1
                    while j < n && kind(text[j]) == .other { j += 1 }
                    pieces.append(i..<j)
                    i = j
                case .skipped:
                    i += 1
                }
            }
        }
        return pieces
    }

    // MARK: - Private

    private enum Kind { case letter, number, other, skipped }

    private static func kind(_ s: Unicode.Scalar) -> Kind {
        if s.isASCII {
            switch s.value {
            case 0x41...0x5A, 0x61...0x7A: return .letter
            case 0x30...0x39: return .number
            case 0x09...0x0D, 0x20: return .skipped
            default: return .other
            }
        }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            if s.value == 0x345 || s.properties.isWhitespace { return .skipped }
            return .other
        }
    }

    private static let specials: [[Unicode.Scalar]] = [
        Array("<|startoftext|>".unicodeScalars), Array("<|endoftext|>".unicodeScalars),
    ]

    private static let contractions: [[Unicode.Scalar]] = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]
        .map { Array($0.unicodeScalars) }

    private static func matchSpecial(_ text: [Unicode.Scalar], at i: Int) -> Int? {
        specials.first { matches($0, text, at: i) }?.count
    }

    private static func matchContraction(_ text: [Unicode.Scalar], at i: Int) -> Int? {
        contractions.first { matches($0, text, at: i) }?.count
    }

    /// Case-insensitive match of an ASCII literal at `i`, with the `regex` module's folding.
    private static func matches(_ literal: [Unicode.Scalar], _ text: [Unicode.Scalar], at i: Int) -> Bool {
        guard i + literal.count <= text.count else { return false }
        for (k, p) in literal.enumerated() where !foldEquals(text[i + k], p) { return false }
        return true
    }

    /// Does `s` equal the lower-case ASCII pattern character `p` under simple case folding?
    private static func foldEquals(_ s: Unicode.Scalar, _ p: Unicode.Scalar) -> Bool {
        if s == p { return true }
        let isLowerLetter = (0x61...0x7A).contains(p.value)
        if isLowerLetter && s.value == p.value - 32 { return true }
        return p == "s" && s.value == 0x17F
    }
}
