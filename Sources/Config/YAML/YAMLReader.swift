import CYAML
import Foundation
import Support

/// Reads YAML text into a `YAMLNode` tree with libyaml's event API.
///
/// Errors name the file, line and column. Anchors and aliases are accepted (an alias becomes
/// a copy of its anchored node); tags other than `!!str` are ignored; a file with more than
/// one document is rejected.
public enum YAMLReader {
    /// Most nodes one document may expand to (aliases copy nodes), against alias bombs.
    static let maximumNodeCount = 200_000

    // MARK: - Entry points

    /// Reads and parses a YAML file.
    /// - Parameter url: the file to read.
    /// - Returns: the document; its `file` is `url.path`.
    public static func read(contentsOf url: URL) throws -> YAMLDocument {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigError.unreadableFile(path: path, reason: "no such file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ConfigError.unreadableFile(path: path, reason: FileFailure.reason(error))
        }
        return try parse(bytes: Array(data), file: path)
    }

    /// Parses YAML text; `file` is only used in error messages.
    public static func parse(_ text: String, file: String = "<string>") throws -> YAMLDocument {
        try parse(bytes: Array(text.utf8), file: file)
    }

    /// Parses UTF-8 (or UTF-16 with a BOM) YAML bytes.
    static func parse(bytes: [UInt8], file: String) throws -> YAMLDocument {
        if bytes.isEmpty { return YAMLDocument(file: file, root: nil) }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw ConfigError.yamlSyntax(file: file, line: 1, column: 1,
                                         problem: "libyaml could not initialise a parser")
        }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = TreeBuilder(file: file)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    throw syntaxError(parser, file: file)
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try builder.handle(event)
            }
            return YAMLDocument(file: file, root: builder.root)
        }
    }

    /// Turns libyaml's error state into a `ConfigError.yamlSyntax`.
    private static func syntaxError(_ parser: yaml_parser_t, file: String) -> ConfigError {
        var problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        if let context = parser.context.map({ String(cString: $0) }) {
            problem = "\(context) (line \(Int(parser.context_mark.line) + 1)): \(problem)"
        }
        return .yamlSyntax(file: file, line: Int(parser.problem_mark.line) + 1,
                           column: Int(parser.problem_mark.column) + 1, problem: problem)
    }
}

// MARK: - Building the tree from events

/// Collects libyaml events into nodes with a stack of open collections.
private struct TreeBuilder {
    /// An open sequence or mapping.
    enum Frame {
        case sequence(items: [YAMLNode], line: Int, column: Int, anchor: String?)
        case mapping(entries: [YAMLNode.Entry], pendingKey: (String, Int, Int)?,
                     firstLines: [String: Int], line: Int, column: Int, anchor: String?)
    }

    let file: String
    var stack: [Frame] = []
    var root: YAMLNode?
    var documentCount = 0
    var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    var nodeCount = 0

    init(file: String) { self.file = file }

    mutating func handle(_ event: yaml_event_t) throws {
        let line = Int(event.start_mark.line) + 1
        let column = Int(event.start_mark.column) + 1
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documentCount += 1
            if documentCount > 1 {
                throw ConfigError.unsupportedYAML(file: file, line: line, column: column,
                                                  problem: "more than one document (---) in a config file")
            }
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            let tag = scalar.tag.map { String(cString: $0) }
            let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE && tag != "tag:yaml.org,2002:str"
            let node = YAMLNode(.scalar(text, plain ? .plain : .quoted), line: line, column: column)
            try add(node, size: 1, anchor: scalar.anchor.map { String(cString: $0) })
        case YAML_SEQUENCE_START_EVENT:
            stack.append(.sequence(items: [], line: line, column: column,
                                   anchor: event.data.sequence_start.anchor.map { String(cString: $0) }))
        case YAML_MAPPING_START_EVENT:
            stack.append(.mapping(entries: [], pendingKey: nil, firstLines: [:], line: line, column: column,
                                  anchor: event.data.mapping_start.anchor.map { String(cString: $0) }))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { return }
            switch frame {
            case let .sequence(items, line, column, anchor):
                try add(YAMLNode(.sequence(items), line: line, column: column), size: 1, anchor: anchor)
            case let .mapping(entries, _, _, line, column, anchor):
                try add(YAMLNode(.mapping(entries), line: line, column: column), size: 1, anchor: anchor)
            }
        case YAML_ALIAS_EVENT:
            let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
            guard let anchored = anchors[name] else {
                throw ConfigError.unsupportedYAML(file: file, line: line, column: column,
                                                  problem: "alias *\(name) names no anchor")
            }
            var copy = anchored.node
            copy.line = line
            copy.column = column
            try add(copy, size: anchored.size, anchor: nil)
        default:
            break  // stream start, document end: nothing to build
        }
    }

    /// Adds a finished node to the open collection (or makes it the root).
    mutating func add(_ node: YAMLNode, size: Int, anchor: String?) throws {
        nodeCount += size
        if nodeCount > YAMLReader.maximumNodeCount {
            throw ConfigError.unsupportedYAML(file: file, line: node.line, column: node.column,
                                              problem: "document expands to more than "
                                                       + "\(YAMLReader.maximumNodeCount) nodes (aliases?)")
        }
        if let anchor { anchors[anchor] = (node, nodeSize(node)) }
        guard let top = stack.popLast() else {
            root = node
            return
        }
        switch top {
        case .sequence(var items, let line, let column, let anchor):
            items.append(node)
            stack.append(.sequence(items: items, line: line, column: column, anchor: anchor))
        case .mapping(var entries, let pendingKey, var firstLines, let line, let column, let anchor):
            if let (key, keyLine, keyColumn) = pendingKey {
                entries.append(YAMLNode.Entry(key: key, line: keyLine, column: keyColumn, value: node))
                stack.append(.mapping(entries: entries, pendingKey: nil, firstLines: firstLines,
                                      line: line, column: column, anchor: anchor))
            } else {
                guard case .scalar(let key, _) = node.kind else {
                    throw ConfigError.unsupportedYAML(file: file, line: node.line, column: node.column,
                                                      problem: "a mapping key must be a scalar, "
                                                               + "found \(node.kindDescription)")
                }
                if let first = firstLines[key] {
                    throw ConfigError.duplicateKey(key: dottedPath(appending: key), file: file,
                                                   line: node.line, firstLine: first)
                }
                firstLines[key] = node.line
                stack.append(.mapping(entries: entries, pendingKey: (key, node.line, node.column),
                                      firstLines: firstLines, line: line, column: column, anchor: anchor))
            }
        }
    }

    /// The dotted path of the open mappings' pending keys, then `key` (for messages).
    func dottedPath(appending key: String) -> String {
        var parts: [String] = []
        for frame in stack {
            if case .mapping(_, let pending?, _, _, _, _) = frame { parts.append(pending.0) }
        }
        parts.append(key)
        return parts.joined(separator: ".")
    }

    /// Number of nodes in a subtree (for the alias expansion limit).
    func nodeSize(_ node: YAMLNode) -> Int {
        switch node.kind {
        case .scalar: return 1
        case .sequence(let items): return 1 + items.reduce(0) { $0 + nodeSize($1) }
        case .mapping(let entries): return 1 + entries.reduce(0) { $0 + 1 + nodeSize($1.value) }
        }
    }
}
