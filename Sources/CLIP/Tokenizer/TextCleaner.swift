// MARK: - Text cleaning

/// SimpleTokenizer's text normalisation before pre-tokenisation:
/// `whitespace_clean(basic_clean(text)).lower()`.
enum TextCleaner {
    /// 1. `ftfy.fix_text`; 2. `html.unescape` twice; 3. `strip()`; 4. every run of
    /// whitespace -> one space, `strip()`; 5. Python's `lower()`.
    static func clean(_ text: String) -> [Unicode.Scalar] {
        var s = FTFY.fixText(Array(text.unicodeScalars))
        s = HTMLUnescape.python(HTMLUnescape.python(s))
        s = PythonText.strip(s)
        s = PythonText.strip(PythonText.collapseWhitespace(s))
        return PythonText.lower(s)
    }
}
