// MARK: - Where a value came from

/// Where a configuration value came from, for error messages.
public enum ConfigOrigin: Equatable, Sendable, CustomStringConvertible {
    /// A YAML file, 1-based line and column.
    case file(path: String, line: Int, column: Int)
    /// The `index`-th (1-based) KEY VALUE pair of the command-line override list.
    case override(index: Int)
    /// A named command-line flag such as `--seed`.
    case flag(String)

    /// "path:line:column", "command-line override #2" or "command-line flag --seed".
    public var description: String {
        switch self {
        case let .file(path, line, column): return "\(path):\(line):\(column)"
        case let .override(index): return "command-line override #\(index)"
        case let .flag(name): return "command-line flag \(name)"
        }
    }
}

// MARK: - Errors

/// Everything that can be wrong with a configuration; each message names the culprit.
public enum ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A configuration file could not be read.
    case unreadableFile(path: String, reason: String)
    /// libyaml rejected the text.
    case yamlSyntax(file: String, line: Int, column: Int, problem: String)
    /// Valid YAML that a configuration cannot hold (a non-scalar key, several documents, ...).
    case unsupportedYAML(file: String, line: Int, column: Int, problem: String)
    /// The same key twice in one mapping.
    case duplicateKey(key: String, file: String, line: Int, firstLine: Int)
    /// A key that the configuration does not have; `suggestion` is a close known key.
    case unknownKey(key: String, origin: ConfigOrigin, suggestion: String?)
    /// A value of the wrong type for its key.
    case typeMismatch(key: String, origin: ConfigOrigin, expected: String, found: String)
    /// The override list (KEY VALUE pairs) has an odd number of items.
    case oddOverrideCount(count: Int, items: [String])
    /// A value of the right type that is not allowed (found by `RunConfig.validate()`).
    case invalidValue(key: String, value: String, problem: String)

    /// A one-line message naming the key, the file and line, and what was expected.
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "cannot read config file \(path): \(reason)"
        case let .yamlSyntax(file, line, column, problem):
            return "YAML syntax error in \(file):\(line):\(column): \(problem)"
        case let .unsupportedYAML(file, line, column, problem):
            return "unsupported YAML in \(file):\(line):\(column): \(problem)"
        case let .duplicateKey(key, file, line, firstLine):
            return "duplicate key \(key) in \(file):\(line) (first given on line \(firstLine))"
        case let .unknownKey(key, origin, suggestion):
            var message = "unknown config key \(key) (\(origin))"
            if let suggestion { message += "; did you mean \(suggestion)?" }
            return message
        case let .typeMismatch(key, origin, expected, found):
            return "wrong type for config key \(key) (\(origin)): expected \(expected), found \(found)"
        case let .oddOverrideCount(count, items):
            let shown = items.map { quotedForMessage($0) }.joined(separator: " ")
            return "config overrides must be KEY VALUE pairs, but \(count) items were given: \(shown)"
        case let .invalidValue(key, value, problem):
            return "invalid value \(value) for config key \(key): \(problem)"
        }
    }
}
