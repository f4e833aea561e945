// MARK: - HTML character references

/// Python's `html.unescape` and ftfy 6.3.1's stricter `unescape_html`, on Unicode scalars.
enum HTMLUnescape {
    // MARK: - Python html.unescape

    /// Python's `html.unescape(s)`: decodes every match of
    /// `&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)` the way HTML5 does, including
    /// legacy names without ';' (`&amp` -> `&`, `&copyx` -> `©x`, longest known prefix wins) and
    /// the numeric fix-ups (`&#128;` -> `€`, `&#0;` -> U+FFFD, surrogates and values above
    /// U+10FFFF -> U+FFFD, noncharacters and most controls -> removed).
    static func python(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if text[i] == "&", let (replacement, end) = pythonReference(text, at: i) {
                out.append(contentsOf: replacement)
                i = end
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    // MARK: - ftfy unescape_html

    /// ftfy's `unescape_html`: replaces matches of `&#?[0-9A-Za-z]{1,24};` that are HTML5 names
    /// ending in ';' (plus the all-caps forms of lowercase names, such as `&EACUTE;` -> `É`),
    /// and numeric references that `html.unescape` decodes without leaving a ';' behind.
    /// Bare legacy names (`&amp` without ';') are left alone.
    static func ftfy(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            guard text[i] == "&", let end = ftfyEntityEnd(text, at: i) else {
                out.append(text[i])
                i += 1
                continue
            }
            let match = Array(text[i..<end])
            if let value = ftfyEntities[asciiKey(match[...]) ?? []] {
                out.append(contentsOf: value)
            } else if match[1] == "#" {
                let decoded = python(match)
                out.append(contentsOf: decoded.contains(";") ? match : decoded)
            } else {
                out.append(contentsOf: match)
            }
            i = end
        }
        return out
    }

    // MARK: - Tables

    /// `html.entities.html5`: name (with or without ';') -> replacement, keyed by ASCII bytes
    /// so that lookups compare code points exactly (a Swift `String` key would also match
    /// canonically equivalent spellings, e.g. U+212A KELVIN SIGN for 'K').
    static let html5: [[UInt8]: [Unicode.Scalar]] = {
        var table: [[UInt8]: [Unicode.Scalar]] = [:]
        for entry in HTMLEntityTable.entries.split(separator: " ") {
            let parts = entry.split(separator: "=", maxSplits: 1)
            let value = parts[1].split(separator: ",").map { Unicode.Scalar(UInt32($0, radix: 16)!)! }
            table[Array(parts[0].utf8)] = value
        }
        return table
    }()

    /// ftfy's `chardata.HTML_ENTITIES`: `&name;` for every HTML5 name ending in ';', plus
    /// `&NAME;` -> `upper(value)` for each all-lowercase name whose all-caps form is not
    /// itself decoded by `html.unescape`.
    static let ftfyEntities: [[UInt8]: [Unicode.Scalar]] = {
        var table: [[UInt8]: [Unicode.Scalar]] = [:]
        for (name, value) in html5 where name.last == UInt8(ascii: ";") {
            table[[UInt8(ascii: "&")] + name] = value
            let lower = name.map { (0x41...0x5A).contains($0) ? $0 + 32 : $0 }
            guard lower == name else { continue }
            let upperName = [UInt8(ascii: "&")] + name.map { (0x61...0x7A).contains($0) ? $0 - 32 : $0 }
            let upperScalars = upperName.map { Unicode.Scalar($0) }
            if python(upperScalars) == upperScalars {
                table[upperName] = PythonText.upper(value)
            }
        }
        return table
    }()

    // MARK: - Private

    /// Matches one Python `html` character reference at `text[i] == "&"`; returns its
    /// replacement and the index after the match, or nil when the regex does not match here.
    private static func pythonReference(_ text: [Unicode.Scalar], at i: Int) -> ([Unicode.Scalar], Int)? {
        let n = text.count
        var j = i + 1
        guard j < n else { return nil }
        if text[j] == "#" {
            j += 1
            var radix: UInt32 = 10
            if j < n, isASCIIDigit(text[j]) {
                radix = 10
            } else if j + 1 < n, text[j] == "x" || text[j] == "X", hexValue(text[j + 1]) != nil {
                radix = 16
                j += 1
            } else {
                return nil
            }
            var value: UInt32 = 0
            while j < n, let d = radix == 10 ? decimalValue(text[j]) : hexValue(text[j]) {
                value = min(value &* radix &+ d, 0x110000)  // saturate: only "> 0x10FFFF" matters
                j += 1
            }
            if j < n && text[j] == ";" { j += 1 }
            return (numericReplacement(value), j)
        }
        // Named: [^\t\n\f <&#;]{1,32};?
        var k = j
        while k < n && k - j < 32 && !isNameStop(text[k]) { k += 1 }
        guard k > j else { return nil }
        if k < n && text[k] == ";" { k += 1 }
        let name = Array(text[j..<k])
        if let key = asciiKey(name[...]), let value = html5[key] { return (value, k) }
        // Longest prefix (at least 2 characters) that is a known name.
        var x = name.count - 1
        while x > 1 {
            if let key = asciiKey(name[0..<x]), let value = html5[key] {
                return (value + name[x...], k)
            }
            x -= 1
        }
        return (["&"] + name, k)
    }

    /// Python's `_replace_charref` for a numeric reference's value.
    private static func numericReplacement(_ value: UInt32) -> [Unicode.Scalar] {
        if value == 0 { return ["\u{FFFD}"] }
        if value == 0x0D { return ["\r"] }
        if (0x80...0x9F).contains(value) {
            // _invalid_charrefs: the Windows-1252 reading (undefined bytes stay C1 controls).
            return [FTFY.sloppyWindows1252Scalar(UInt8(value))]
        }
        if (0xD800...0xDFFF).contains(value) || value > 0x10FFFF { return ["\u{FFFD}"] }
        let invalid = (0x1...0x8).contains(value) || (0xE...0x1F).contains(value) || value == 0x7F
            || value == 0xB || (0xFDD0...0xFDEF).contains(value) || (value & 0xFFFE) == 0xFFFE
        return invalid ? [] : [Unicode.Scalar(value)!]
    }

    /// End index of a match of `&#?[0-9A-Za-z]{1,24};` starting at `text[i] == "&"`.
    private static func ftfyEntityEnd(_ text: [Unicode.Scalar], at i: Int) -> Int? {
        var j = i + 1
        if j < text.count && text[j] == "#" { j += 1 }
        var k = j
        while k < text.count && isASCIIAlphanumeric(text[k]) { k += 1 }
        let length = k - j
        guard (1...24).contains(length), k < text.count, text[k] == ";" else { return nil }
        return k + 1
    }

    /// The ASCII bytes of `scalars`, or nil if any scalar is not ASCII.
    private static func asciiKey(_ scalars: ArraySlice<Unicode.Scalar>) -> [UInt8]? {
        var key: [UInt8] = []
        key.reserveCapacity(scalars.count)
        for s in scalars {
            guard s.isASCII else { return nil }
            key.append(UInt8(s.value))
        }
        return key
    }

    private static func isNameStop(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case "\t", "\n", "\u{0C}", " ", "<", "&", "#", ";": return true
        default: return false
        }
    }

    private static func isASCIIDigit(_ s: Unicode.Scalar) -> Bool { (0x30...0x39).contains(s.value) }

    private static func isASCIIAlphanumeric(_ s: Unicode.Scalar) -> Bool {
        isASCIIDigit(s) || (0x41...0x5A).contains(s.value) || (0x61...0x7A).contains(s.value)
    }

    private static func decimalValue(_ s: Unicode.Scalar) -> UInt32? {
        isASCIIDigit(s) ? s.value - 0x30 : nil
    }

    private static func hexValue(_ s: Unicode.Scalar) -> UInt32? {
        switch s.value {
        case 0x30...0x39: return s.value - 0x30
        case 0x41...0x46: return s.value - 0x41 + 10
        case 0x61...0x66: return s.value - 0x61 + 10
        default: return nil
        }
    }
}
