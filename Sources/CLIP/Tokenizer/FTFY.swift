import Foundation

/// A Swift port of `ftfy.fix_text` (ftfy 6.3.1, default `TextFixerConfig`), the first step of
/// OpenAI CLIP's text cleaning.
///
/// Reproduced, in ftfy's order and with its fixed-point loop per line:
/// - `unescape_html` ("auto": off from the first line that contains '<' onwards),
/// - `fix_encoding` (mojibake: re-encoding in latin-1, sloppy windows-1250/1251/1252/1253/
///   1254/1257, iso-8859-2, macroman, cp437 and decoding as UTF-8 or CESU-8/Java UTF-8, with
///   `restore_byte_a0`, `replace_lossy_sequences`, `decode_inconsistent_utf8`, the
///   latin-1 -> windows-1252 fallback and the `is_bad` heuristic; see FTFY+Encoding.swift),
/// - `fix_c1_controls`, `fix_latin_ligatures`, `fix_character_width`, `uncurl_quotes`,
///   `fix_line_breaks`, `remove_terminal_escapes`, `remove_control_chars`, NFC normalisation.
///
/// Not reproduced:
/// - `fix_surrogates`: a Swift `String` cannot hold UTF-16 surrogate code points, so there is
///   never anything to fix (Python strings can carry them; such input has no Swift equivalent).
/// - Unicode-version drift: character properties (NFC, case mappings, categories) come from
///   the Swift runtime's Unicode tables, Python's from its own `unicodedata`; they differ only
///   for characters assigned in between.
/// - ftfy's "explanations" (the list of applied steps), which do not change the text.
enum FTFY {
    /// ftfy's `max_decode_length`: longer lines are fixed in pieces of this many characters.
    static let maxDecodeLength = 1_000_000

    // MARK: - fix_text

    /// `ftfy.fix_text(text)` with default settings.
    static func fixText(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if isUntouchedASCII(text) { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var unescapeHTML = true
        var pos = 0
        while pos < text.count {
            var end = text[pos...].firstIndex(of: "\n").map { $0 + 1 } ?? text.count
            if end - pos > maxDecodeLength { end = pos + maxDecodeLength }
            let segment = Array(text[pos..<end])
            // ftfy switches "auto" off for this and every later segment once it sees '<'.
            if unescapeHTML && segment.contains("<") { unescapeHTML = false }
            out.append(contentsOf: fixSegment(segment, unescapeHTML: unescapeHTML))
            pos = end
        }
        return out
    }

    /// `fix_and_explain` on one segment: apply every fixer in order until nothing changes.
    static func fixSegment(_ segment: [Unicode.Scalar], unescapeHTML: Bool) -> [Unicode.Scalar] {
        var text = segment
        while true {
            let original = text
            if unescapeHTML { text = HTMLUnescape.ftfy(text) }
            text = fixEncoding(text)
            text = fixC1Controls(text)
            text = fixLatinLigatures(text)
            text = fixCharacterWidth(text)
            text = uncurlQuotes(text)
            text = fixLineBreaks(text)
            text = removeTerminalEscapes(text)
            text = removeControlChars(text)
            text = nfc(text)
            if text == original { return text }  // exact scalar comparison, as Python's ==
        }
    }

    // MARK: - Simple fixers

    /// `fix_c1_controls`: U+0080...U+009F read as Windows-1252 (undefined bytes stay as they are).
    static func fixC1Controls(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains(where: { (0x80...0x9F).contains($0.value) }) else { return text }
        return text.map { (0x80...0x9F).contains($0.value) ? sloppyWindows1252Scalar(UInt8($0.value)) : $0 }
    }

    /// `fix_latin_ligatures`: ﬁ -> fi, ﬂ -> fl, Ĳ -> IJ, ǅ -> Dž, ... (chardata.LIGATURES).
    static func fixLatinLigatures(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains(where: { ligatures[$0.value] != nil }) else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count + 4)
        for s in text {
            if let replacement = ligatures[s.value] {
                out.append(contentsOf: replacement.unicodeScalars)
            } else {
                out.append(s)
            }
        }
        return out
    }

    /// `fix_character_width`: U+3000 -> space and U+FF01...U+FFEF -> their NFKC forms
    /// (full-width ASCII -> ASCII, half-width katakana and Hangul -> standard width).
    static func fixCharacterWidth(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains(where: { $0.value == 0x3000 || (0xFF01...0xFFEF).contains($0.value) }) else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for s in text {
            switch s.value {
            case 0x3000: out.append(" ")
            case 0xFF01...0xFF5E: out.append(Unicode.Scalar(s.value - 0xFF01 + 0x21)!)
            case 0xFF5F...0xFFEF: out.append(contentsOf: widthMap[s.value] ?? [s])
            default: out.append(s)
            }
        }
        return out
    }

    /// `uncurl_quotes`: U+02BC and U+2018...U+201B -> `'`, U+201C...U+201F -> `"`.
    static func uncurlQuotes(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        text.map { s in
            switch s.value {
            case 0x02BC, 0x2018...0x201B: return "'"
            case 0x201C...0x201F: return "\""
            default: return s
            }
        }
    }

    /// `fix_line_breaks`: CRLF, CR, U+2028, U+2029 and U+0085 -> LF.
    static func fixLineBreaks(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            switch text[i].value {
            case 0x0D:
                out.append("\n")
                if i + 1 < text.count && text[i + 1] == "\n" { i += 1 }
            case 0x2028, 0x2029, 0x85:
                out.append("\n")
            default:
                out.append(text[i])
            }
            i += 1
        }
        return out
    }

    /// `remove_terminal_escapes`: deletes ANSI sequences `ESC [ (\d|;)* [a-zA-Z]`, where `\d`
    /// is any Unicode decimal digit (Python `re` semantics).
    static func removeTerminalEscapes(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("\u{1B}") else { return text }
        var out: [Unicode.Scalar] = []
        var i = 0
        while i < text.count {
            if text[i] == "\u{1B}", i + 1 < text.count, text[i + 1] == "[" {
                var j = i + 2
                while j < text.count, text[j] == ";" || text[j].properties.generalCategory == .decimalNumber { j += 1 }
                if j < text.count, isASCIILetter(text[j]) {
                    i = j + 1
                    continue
                }
            }
            out.append(text[i])
            i += 1
        }
        return out
    }

    /// `remove_control_chars`: deletes U+0000...U+0008, U+000B, U+000E...U+001F, U+007F,
    /// U+206A...U+206F, U+FEFF and U+FFF9...U+FFFC; keeps tab, LF, FF, CR, C1 controls,
    /// joiners, bidi marks and tag characters.
    static func removeControlChars(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        func isRemoved(_ s: Unicode.Scalar) -> Bool {
            switch s.value {
            case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC: return true
            default: return false
            }
        }
        return text.contains(where: isRemoved) ? text.filter { !isRemoved($0) } : text
    }

    /// Unicode NFC (`unicodedata.normalize('NFC', text)`).
    static func nfc(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // Every code point below U+0300 is NFC_Quick_Check=Yes with combining class 0.
        guard text.contains(where: { $0.value >= 0x300 }) else { return text }
        var string = String()
        string.unicodeScalars.append(contentsOf: text)
        return Array(string.precomposedStringWithCanonicalMapping.unicodeScalars)
    }

    // MARK: - Helpers

    /// The scalar a byte decodes to in ftfy's sloppy Windows-1252 (ASCII and Latin-1 for
    /// 0xA0...0xFF; the five undefined bytes in 0x80...0x9F map to the same code point).
    static func sloppyWindows1252Scalar(_ byte: UInt8) -> Unicode.Scalar {
        byte < 0x80 ? Unicode.Scalar(byte) : CodePage.sloppyWindows1252.high[Int(byte) - 0x80]
    }

    /// True for text that no fixer changes: printable ASCII, tab, LF and FF, without '&'.
    private static func isUntouchedASCII(_ text: [Unicode.Scalar]) -> Bool {
        text.allSatisfy { s in
            (0x20...0x7E).contains(s.value) ? s != "&" : (s == "\t" || s == "\n" || s == "\u{0C}")
        }
    }

    private static func isASCIILetter(_ s: Unicode.Scalar) -> Bool {
        (0x41...0x5A).contains(s.value) || (0x61...0x7A).contains(s.value)
    }

    /// chardata.LIGATURES.
    private static let ligatures: [UInt32: String] = [
        0x0132: "IJ", 0x0133: "ij", 0x0149: "\u{2BC}n",
        0x01F1: "DZ", 0x01F2: "Dz", 0x01F3: "dz", 0x01C4: "D\u{17D}", 0x01C5: "D\u{17E}", 0x01C6: "d\u{17E}",
        0x01C7: "LJ", 0x01C8: "Lj", 0x01C9: "lj", 0x01CA: "NJ", 0x01CB: "Nj", 0x01CC: "nj",
        0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "\u{17F}t", 0xFB06: "st",
    ]

    /// chardata.WIDTH_MAP for U+FF5F...U+FFEF, parsed from `FTFYTables.widthMap`.
    private static let widthMap: [UInt32: [Unicode.Scalar]] = {
        var table: [UInt32: [Unicode.Scalar]] = [:]
        for entry in FTFYTables.widthMap.split(separator: " ") {
            let parts = entry.split(separator: "=")
            table[UInt32(parts[0], radix: 16)!] = parts[1].split(separator: ",").map {
                Unicode.Scalar(UInt32($0, radix: 16)!)!
            }
        }
        return table
    }()
}
