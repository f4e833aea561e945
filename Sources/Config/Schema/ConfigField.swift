// MARK: - Sections and their fields

/// A struct that is one section of the configuration tree (a yacs `CfgNode`): it lists its
/// keys, in the order they are written, with the property each key reads and writes.
protocol ConfigSection {
    /// The section's keys in output order.
    static var fields: [ConfigField<Self>] { get }
}

/// One key of a section: its YAML name and how to read, write and dump its property.
struct ConfigField<Root> {
    /// A leaf holds a value; a section holds more keys.
    enum Kind {
        case leaf(Leaf)
        case section(Section)
    }

    /// Access to a value-holding property.
    struct Leaf {
        /// What the key expects, for messages.
        let expected: String
        /// Reads the input into the property; false when it does not fit the type.
        let assign: (inout Root, ConfigInput) -> Bool
        /// The property's value as YAML text.
        let yamlText: (Root) -> String
    }

    /// Access to a nested section, type-erased.
    struct Section {
        /// Merges YAML mapping entries into the nested section.
        let merge: (inout Root, [YAMLNode.Entry], _ prefix: [String], _ file: String) throws -> Void
        /// Sets a (relative) dotted path inside the nested section.
        let set: (inout Root, ArraySlice<String>, _ fullKey: String, ConfigInput, ConfigOrigin) throws -> Void
        /// Appends the nested section's YAML lines at the given indent.
        let dump: (Root, _ indent: Int, inout [String]) -> Void
        /// The YAML text of a leaf at a (relative) dotted path, or nil.
        let lookup: (Root, ArraySlice<String>) -> String?
        /// The nested section's dotted keys (leaves and sections) under a prefix.
        let keys: (_ prefix: String) -> [(key: String, isSection: Bool)]
    }

    /// The key's name in YAML, e.g. `BATCH_SIZE`.
    let name: String
    /// Leaf or section.
    let kind: Kind

    /// A key holding a value of a `ConfigLeaf` type.
    static func value<T: ConfigLeaf>(_ name: String, _ path: WritableKeyPath<Root, T>) -> ConfigField {
        ConfigField(name: name, kind: .leaf(Leaf(
            expected: T.expectedDescription,
            assign: { root, input in
                guard let value = T.decode(input) else { return false }
                root[keyPath: path] = value
                return true
            },
            yamlText: { root in root[keyPath: path].yamlText })))
    }

    /// A list-of-int key that also takes a single int (Dassl's OPTIM.STEPSIZE).
    static func intOrIntList(_ name: String, _ path: WritableKeyPath<Root, [Int]>) -> ConfigField {
        ConfigField(name: name, kind: .leaf(Leaf(
            expected: "int or list of int",
            assign: { root, input in
                if let single = Int.decode(input) {
                    root[keyPath: path] = [single]
                    return true
                }
                guard let list = [Int].decode(input) else { return false }
                root[keyPath: path] = list
                return true
            },
            yamlText: { root in root[keyPath: path].yamlText })))
    }

    /// A key holding a nested section.
    static func section<S: ConfigSection>(_ name: String, _ path: WritableKeyPath<Root, S>) -> ConfigField {
        ConfigField(name: name, kind: .section(Section(
            merge: { root, entries, prefix, file in
                try ConfigTree.merge(entries, into: &root[keyPath: path], prefix: prefix, file: file)
            },
            set: { root, relative, fullKey, input, origin in
                try ConfigTree.set(relative, fullKey: fullKey, input: input, origin: origin, in: &root[keyPath: path])
            },
            dump: { root, indent, lines in
                ConfigTree.dump(root[keyPath: path], indent: indent, into: &lines)
            },
            lookup: { root, relative in ConfigTree.yamlText(relative, in: root[keyPath: path]) },
            keys: { prefix in ConfigTree.keys(of: S.self, prefix: prefix) })))
    }
}
