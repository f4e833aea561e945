// MARK: - YAML tree

/// One node of a parsed YAML document, with where it starts in its source.
///
/// Only what configuration files need: mappings with scalar keys, sequences and scalars.
/// Aliases are resolved to copies of the anchored node while parsing.
public struct YAMLNode: Equatable, Sendable {
    /// How a scalar was written; plain scalars go through YAML 1.1 type resolution,
    /// quoted and block scalars are text.
    public enum ScalarStyle: Equatable, Sendable {
        /// Unquoted, e.g. `0.002` or `a photo of a`.
        case plain
        /// Single-quoted, double-quoted, literal (`|`) or folded (`>`), or tagged `!!str`.
        case quoted
    }

    /// One `key: value` pair of a mapping, in source order.
    public struct Entry: Equatable, Sendable {
        /// The key's text (keys must be scalars).
        public var key: String
        /// 1-based line of the key.
        public var line: Int
        /// 1-based column of the key.
        public var column: Int
        /// The value node.
        public var value: YAMLNode

        /// Creates an entry (mostly for tests).
        public init(key: String, line: Int, column: Int, value: YAMLNode) {
            self.key = key
            self.line = line
            self.column = column
            self.value = value
        }
    }

    /// The node's content.
    public indirect enum Kind: Equatable, Sendable {
        /// A scalar's text and style.
        case scalar(String, ScalarStyle)
        /// A block or flow sequence.
        case sequence([YAMLNode])
        /// A block or flow mapping, entries in source order.
        case mapping([Entry])
    }

    /// The node's content.
    public var kind: Kind
    /// 1-based line where the node starts.
    public var line: Int
    /// 1-based column where the node starts.
    public var column: Int

    /// Creates a node (mostly for tests).
    public init(_ kind: Kind, line: Int, column: Int) {
        self.kind = kind
        self.line = line
        self.column = column
    }

    /// A short name of the node's kind for error messages ("a mapping", "a sequence", ...).
    public var kindDescription: String {
        switch kind {
        case .scalar(let text, _): return "the scalar \(quotedForMessage(text))"
        case .sequence: return "a sequence"
        case .mapping: return "a mapping"
        }
    }
}

/// A parsed YAML file: its path (for messages) and its root node (nil for an empty file).
public struct YAMLDocument: Equatable, Sendable {
    /// The path or name used in error messages.
    public var file: String
    /// The root node, or nil when the file holds no document (empty or only comments).
    public var root: YAMLNode?

    /// A document with the given root; `file` names it in error messages. A sweep file can
    /// wrap one of its sub-mappings this way and merge it with `RunConfig.merge(document:)`.
    public init(file: String, root: YAMLNode?) {
        self.file = file
        self.root = root
    }
}

/// Puts text in double quotes for an error message, escaping quotes and line breaks.
func quotedForMessage(_ text: String) -> String {
    var out = "\""
    for ch in text {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default: out.append(ch)
        }
    }
    return out + "\""
}
