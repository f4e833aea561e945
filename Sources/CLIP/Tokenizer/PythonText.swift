// MARK: - Python string semantics

/// Python 3 `str` operations that SimpleTokenizer relies on, on arrays of Unicode scalars
/// (Python strings are sequences of code points, so scalars are the exact counterpart).
enum PythonText {
    /// Python's `str.isspace()` for one character: bidirectional class WS, B or S, or
    /// general category Zs. This is White_Space plus U+001C...U+001F.
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029,
             0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Whitespace as the `regex` module's `\s` sees it: the Unicode White_Space property
    /// (unlike `isSpace`, it excludes U+001C...U+001F).
    static func isRegexSpace(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x80 ? (s.value == 0x20 || (0x09...0x0D).contains(s.value)) : s.properties.isWhitespace
    }

    /// Python's `str.strip()` with no argument.
    static func strip(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var lo = 0
        var hi = text.count
        while lo < hi && isSpace(text[lo]) { lo += 1 }
        while hi > lo && isSpace(text[hi - 1]) { hi -= 1 }
        return (lo == 0 && hi == text.count) ? text : Array(text[lo..<hi])
    }

    /// `regex.sub(r'\s+', ' ', text)`: every run of White_Space becomes one space.
    static func collapseWhitespace(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var inRun = false
        for s in text {
            if isRegexSpace(s) {
                if !inRun { out.append(" ") }
                inRun = true
            } else {
                out.append(s)
                inRun = false
            }
        }
        return out
    }

    /// Python's `str.lower()`: the full lowercase mapping of every character (so 'İ' becomes
    /// "i" + U+0307), with Python's Final_Sigma rule for 'Σ' (U+03A3 becomes 'ς' at the end
    /// of a word, 'σ' elsewhere). Swift's `lowercased()` has no Final_Sigma context.
    static func lower(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for (i, s) in text.enumerated() {
            if s.isASCII {
                out.append((0x41...0x5A).contains(s.value) ? Unicode.Scalar(s.value + 32)! : s)
            } else if s.value == 0x3A3 {
                out.append(isFinalSigma(text, at: i) ? "\u{3C2}" : "\u{3C3}")
            } else {
                out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    /// Python's `str.upper()` (full uppercase mapping, no context).
    static func upper(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        for s in text {
            if s.isASCII {
                out.append((0x61...0x7A).contains(s.value) ? Unicode.Scalar(s.value - 32)! : s)
            } else {
                out.append(contentsOf: s.properties.uppercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    // MARK: - Private

    /// CPython's `handle_capital_sigma`: Σ is final when a cased letter precedes it (skipping
    /// case-ignorable characters) and no cased letter follows it (likewise).
    private static func isFinalSigma(_ text: [Unicode.Scalar], at i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && text[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0 && text[j].properties.isCased else { return false }
        var k = i + 1
        while k < text.count && text[k].properties.isCaseIgnorable { k += 1 }
        return k == text.count || !text[k].properties.isCased
    }
}
