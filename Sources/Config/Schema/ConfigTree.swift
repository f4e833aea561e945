import Foundation

// MARK: - Generic operations over sections

/// Merging, setting, dumping and listing keys, written once for every `ConfigSection`.
enum ConfigTree {
    // MARK: - Merge a YAML mapping

    /// Merges a YAML mapping's entries into a section (yacs' `_merge_a_into_b`): every key must
    /// exist, leaves are type-checked, nested mappings merge recursively.
    static func merge<S: ConfigSection>(_ entries: [YAMLNode.Entry], into section: inout S,
                                        prefix: [String], file: String) throws {
        let fields = S.fields
        for entry in entries {
            let path = prefix + [entry.key]
            let fullKey = path.joined(separator: ".")
            guard let field = fields.first(where: { $0.name == entry.key }) else {
                throw ConfigError.unknownKey(key: fullKey,
                                             origin: .file(path: file, line: entry.line, column: entry.column),
                                             suggestion: suggestion(for: fullKey))
            }
            let valueOrigin = ConfigOrigin.file(path: file, line: entry.value.line, column: entry.value.column)
            switch field.kind {
            case .leaf(let leaf):
                let input = ConfigInput(entry.value)
                guard leaf.assign(&section, input) else {
                    throw ConfigError.typeMismatch(key: fullKey, origin: valueOrigin,
                                                   expected: leaf.expected, found: input.messageDescription)
                }
            case .section(let nested):
                switch entry.value.kind {
                case .mapping(let children):
                    try nested.merge(&section, children, path, file)
                case .scalar(let text, .plain) where YAMLScalarResolver.nullWords.contains(text):
                    continue  // `TRAINER:` with every sub-key commented out
                default:
                    throw ConfigError.typeMismatch(key: fullKey, origin: valueOrigin,
                                                   expected: "a mapping (\(fullKey) is a section of keys)",
                                                   found: ConfigInput(entry.value).messageDescription)
                }
            }
        }
    }

    // MARK: - Set one dotted key

    /// Sets the value at a dotted path (relative to this section); `fullKey` is for messages.
    static func set<S: ConfigSection>(_ path: ArraySlice<String>, fullKey: String, input: ConfigInput,
                                      origin: ConfigOrigin, in section: inout S) throws {
        guard let name = path.first, let field = S.fields.first(where: { $0.name == name }) else {
            throw ConfigError.unknownKey(key: fullKey, origin: origin, suggestion: suggestion(for: fullKey))
        }
        let rest = path.dropFirst()
        switch field.kind {
        case .leaf(let leaf):
            guard rest.isEmpty else {
                throw ConfigError.unknownKey(key: fullKey, origin: origin, suggestion: suggestion(for: fullKey))
            }
            guard leaf.assign(&section, input) else {
                throw ConfigError.typeMismatch(key: fullKey, origin: origin, expected: leaf.expected,
                                               found: input.messageDescription)
            }
        case .section(let nested):
            guard !rest.isEmpty else {
                let children = nested.keys("").filter { !$0.key.contains(".") }.map(\.key)
                throw ConfigError.typeMismatch(key: fullKey, origin: origin,
                                               expected: "a full key below the section \(fullKey) (one of "
                                                   + children.map { "\(fullKey).\($0)" }.joined(separator: ", ") + ")",
                                               found: input.messageDescription)
            }
            try nested.set(&section, rest, fullKey, input, origin)
        }
    }

    // MARK: - Dump

    /// Appends `KEY: value` lines (sections as nested blocks) in field order.
    static func dump<S: ConfigSection>(_ section: S, indent: Int, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for field in S.fields {
            switch field.kind {
            case .leaf(let leaf):
                lines.append("\(pad)\(field.name): \(leaf.yamlText(section))")
            case .section(let nested):
                lines.append("\(pad)\(field.name):")
                nested.dump(section, indent + 2, &lines)
            }
        }
    }

    /// The value of one leaf as YAML text, or nil if the dotted path names no leaf.
    static func yamlText<S: ConfigSection>(_ path: ArraySlice<String>, in section: S) -> String? {
        guard let name = path.first, let field = S.fields.first(where: { $0.name == name }) else { return nil }
        switch field.kind {
        case .leaf(let leaf): return path.count == 1 ? leaf.yamlText(section) : nil
        case .section(let nested): return nested.lookup(section, path.dropFirst())
        }
    }

    // MARK: - Keys

    /// Every dotted key of a section type (sections before their children), under a prefix.
    static func keys<S: ConfigSection>(of type: S.Type, prefix: String) -> [(key: String, isSection: Bool)] {
        var out: [(key: String, isSection: Bool)] = []
        for field in S.fields {
            let key = prefix.isEmpty ? field.name : "\(prefix).\(field.name)"
            switch field.kind {
            case .leaf: out.append((key, false))
            case .section(let nested):
                out.append((key, true))
                out += nested.keys(key)
            }
        }
        return out
    }

    /// A known key close to an unknown one (same letters ignoring case, or at most two
    /// edits away), to put in the error message.
    static func suggestion(for key: String) -> String? {
        let known = keys(of: RunConfig.self, prefix: "").map(\.key)
        if let exact = known.first(where: { $0.caseInsensitiveCompare(key) == .orderedSame }) { return exact }
        var best: (key: String, distance: Int)?
        for candidate in known {
            let d = editDistance(candidate, key, limit: 2)
            if d <= 2, d < (best?.distance ?? Int.max) { best = (candidate, d) }
        }
        return best?.key
    }

    /// Levenshtein distance, stopping early once it exceeds `limit` (returns limit + 1).
    static func editDistance(_ a: String, _ b: String, limit: Int) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if abs(a.count - b.count) > limit { return limit + 1 }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            current[0] = i
            var rowMin = current[0]
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                rowMin = min(rowMin, current[j])
            }
            if rowMin > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
