import Config
import Foundation

// MARK: - Reading a sweep file

extension SweepSpec {
    static let topKeys = ["name", "pipeline", "ranks_per_trial", "output_root", "base", "axes", "source"]
    static let baseKeys = ["trainer", "config_file", "dataset_config_dir", "weights", "root", "shots", "seed",
                           "load_epoch", "overrides"]
    static let datasetKeys = ["name", "config_file", "overrides"]

    /// Reads and checks a sweep file. Relative paths are relative to the current directory
    /// (as in CoOp's scripts, run from the repository root); `$NAME` and `${NAME}` in paths
    /// are replaced by environment variables.
    /// - Throws: `SweepError` or `ConfigError` naming the file and line.
    public static func load(contentsOf url: URL,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SweepSpec {
        try parse(YAMLReader.read(contentsOf: url), environment: environment)
    }

    /// Checks a parsed sweep document (see `load(contentsOf:)`).
    public static func parse(_ document: YAMLDocument,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SweepSpec {
        let y = SweepYAML(file: document.file, environment: environment)
        guard let topNode = document.root else {
            throw SweepError.missingKey(file: document.file, key: "pipeline", why: "the file is empty")
        }
        let top = try y.mapping(topNode, "the sweep file")
        try y.checkKeys(top, known: topKeys, section: "the sweep file")
        func entry(_ entries: [YAMLNode.Entry], _ key: String) -> YAMLNode? { entries.first { $0.key == key }?.value }

        let pipelines = "one of " + Pipeline.allCases.map(\.rawValue).joined(separator: ", ")
        guard let pipelineNode = entry(top, "pipeline") else {
            throw SweepError.missingKey(file: y.file, key: "pipeline", why: pipelines)
        }
        let pipelineText = try y.string(pipelineNode, "pipeline")
        guard let pipeline = Pipeline(rawValue: pipelineText) else {
            throw y.bad(pipelineNode, "pipeline", expected: pipelines, found: "'\(pipelineText)'")
        }
        let stem = URL(fileURLWithPath: document.file).deletingPathExtension().lastPathComponent
        let name = try entry(top, "name").map { try y.string($0, "name") } ?? stem
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw SweepError.badValue(file: y.file, line: entry(top, "name")?.line ?? 1, key: "name",
                                      expected: "a folder name without '/'", found: "'\(name)'")
        }
        let ranksPerTrial = try entry(top, "ranks_per_trial").map { try y.int($0, "ranks_per_trial", minimum: 1) } ?? 1
        let outputRoot = try entry(top, "output_root").map { try y.path($0, "output_root") }
            ?? URL(fileURLWithPath: "output")

        // base
        let base = try entry(top, "base").map { try y.mapping($0, "base") } ?? []
        try y.checkKeys(base, known: baseKeys, section: "base")
        var trainer = TrainerKind.cocoop
        if let node = entry(base, "trainer") {
            let text = try y.string(node, "base.trainer")
            guard let kind = TrainerKind(rawValue: text) else {
                throw y.bad(node, "base.trainer", expected: "one of "
                                + TrainerKind.allCases.map(\.rawValue).joined(separator: ", "), found: "'\(text)'")
            }
            trainer = kind
        }
        let configFile = try entry(base, "config_file").map { try y.path($0, "base.config_file") }
        let datasetDir = try entry(base, "dataset_config_dir").map { try y.path($0, "base.dataset_config_dir") }
            ?? URL(fileURLWithPath: "Configs/datasets")
        guard let weightsNode = entry(base, "weights") else {
            throw SweepError.missingKey(file: y.file, key: "base.weights", why: "the CLIP weights every trial loads")
        }
        let weights = try y.path(weightsNode, "base.weights")
        let root = try entry(base, "root").map { try y.path($0, "base.root").path } ?? ""
        let loadEpoch = try entry(base, "load_epoch").map { try y.int($0, "base.load_epoch", minimum: 1) }
        let overrides = try entry(base, "overrides").map { SweepYAML.nested(try y.mapping($0, "base.overrides")) } ?? []

        // axes
        let axes = try entry(top, "axes").map { try y.mapping($0, "axes") } ?? []
        var datasets: [Dataset] = [], configAxes: [ConfigAxis] = []
        var seeds = try entry(base, "seed").map { [try y.int($0, "base.seed", minimum: 0)] } ?? [1]
        var shots = try entry(base, "shots").map { [try y.int($0, "base.shots", minimum: -1)] } ?? []
        for axis in axes {
            let values = y.list(axis.value)
            guard !values.isEmpty else { throw SweepError.emptyGrid(file: y.file, axis: axis.key) }
            switch axis.key {
            case "datasets":
                datasets = try values.map { try y.dataset($0, directory: datasetDir) }
            case "seeds":
                seeds = try values.map { try y.int($0, "axes.seeds", minimum: 0) }
            case "shots":
                shots = try values.map { try y.int($0, "axes.shots", minimum: -1) }
            default:
                guard axis.key.contains(".") || axis.key == axis.key.uppercased() else {
                    throw SweepError.unknownKey(file: y.file, line: axis.line, key: axis.key, section: "axes",
                                                known: ["datasets", "seeds", "shots",
                                                        "a dotted config key such as OPTIM.LR"])
                }
                configAxes.append(ConfigAxis(key: axis.key, values: values))
            }
        }
        let source = try entry(top, "source").map { try y.dataset($0, directory: datasetDir) }
        if pipeline == .crossDataset && source == nil {
            throw SweepError.missingKey(file: y.file, key: "source",
                                        why: "cross_dataset trains on this dataset and evaluates on axes.datasets")
        }
        if pipeline != .crossDataset, let node = entry(top, "source") {
            throw y.bad(node, "source", expected: "no source (only cross_dataset has one)",
                        found: "a source with pipeline \(pipeline.rawValue)")
        }
        guard !datasets.isEmpty else {
            throw SweepError.missingKey(file: y.file, key: "axes.datasets",
                                        why: "the datasets to train on or evaluate on")
        }
        return SweepSpec(file: y.file, name: name, pipeline: pipeline, ranksPerTrial: ranksPerTrial,
                         outputRoot: outputRoot, trainer: trainer, configFile: configFile,
                         configName: configFile?.deletingPathExtension().lastPathComponent ?? "default",
                         weights: weights, root: root, datasets: datasets, source: source, seeds: seeds, shots: shots,
                         configAxes: configAxes, overrides: overrides, loadEpoch: loadEpoch)
    }
}

// MARK: - YAML helpers with messages naming the sweep file

/// Typed access to the sweep file's nodes; every error names the file, line and key.
struct SweepYAML {
    let file: String
    let environment: [String: String]

    /// `SweepError.badValue` at `node`'s line.
    func bad(_ node: YAMLNode, _ key: String, expected: String, found: String) -> SweepError {
        .badValue(file: file, line: node.line, key: key, expected: expected, found: found)
    }

    func mapping(_ node: YAMLNode, _ key: String) throws -> [YAMLNode.Entry] {
        switch node.kind {
        case .mapping(let entries): return entries
        case .scalar(let text, .plain) where text.isEmpty || text == "~" || text == "null": return []
        default: throw bad(node, key, expected: "a mapping", found: node.kindDescription)
        }
    }

    func string(_ node: YAMLNode, _ key: String) throws -> String {
        guard case .scalar(let text, _) = node.kind else {
            throw bad(node, key, expected: "a single value", found: node.kindDescription)
        }
        return text
    }

    func int(_ node: YAMLNode, _ key: String, minimum: Int) throws -> Int {
        let text = try string(node, key)
        guard let v = Int(text), v >= minimum else {
            throw bad(node, key, expected: "an integer >= \(minimum)", found: "'\(text)'")
        }
        return v
    }

    /// A scalar is a one-value list.
    func list(_ node: YAMLNode) -> [YAMLNode] {
        if case .sequence(let items) = node.kind { return items }
        return [node]
    }

    /// A path with `$NAME` / `${NAME}` expanded, relative to the current directory.
    func path(_ node: YAMLNode, _ key: String) throws -> URL {
        let text = try string(node, key)
        guard !text.isEmpty else {
            throw bad(node, key, expected: "a path", found: "an empty value")
        }
        return URL(fileURLWithPath: try expand(text, line: node.line)).standardizedFileURL
    }

    func expand(_ text: String, line: Int) throws -> String {
        var out = "", i = text.startIndex
        while i < text.endIndex {
            guard text[i] == "$" else { out.append(text[i]); i = text.index(after: i); continue }
            var j = text.index(after: i)
            let braced = j < text.endIndex && text[j] == "{"
            if braced { j = text.index(after: j) }
            let nameStart = j
            while j < text.endIndex, text[j] == "_" || (text[j].isASCII && (text[j].isLetter || text[j].isNumber)) {
                j = text.index(after: j)
            }
            let name = String(text[nameStart..<j])
            if braced {
                guard !name.isEmpty, j < text.endIndex, text[j] == "}" else {
                    throw SweepError.badValue(file: file, line: line, key: "a path",
                                              expected: "${NAME} with a closing brace", found: "'\(text)'")
                }
                j = text.index(after: j)
            }
            if name.isEmpty { out.append("$"); i = text.index(after: i); continue }
            guard let value = environment[name] else {
                throw SweepError.unsetVariable(file: file, line: line, name: name, text: text)
            }
            out += value
            i = j
        }
        return out
    }

    func checkKeys(_ entries: [YAMLNode.Entry], known: [String], section: String) throws {
        for e in entries where !known.contains(e.key) {
            throw SweepError.unknownKey(file: file, line: e.line, key: e.key, section: section, known: known)
        }
    }

    /// A dataset entry: a name (`<dataset_config_dir>/<name>.yaml`), a config file path, or
    /// a mapping with `name`, optional `config_file` and `overrides`.
    func dataset(_ node: YAMLNode, directory: URL) throws -> SweepSpec.Dataset {
        if case .scalar = node.kind {
            let text = try string(node, "datasets")
            if text.hasSuffix(".yaml") || text.hasSuffix(".yml") || text.contains("/") {
                let url = try path(node, "datasets")
                return SweepSpec.Dataset(name: url.deletingPathExtension().lastPathComponent, configFile: url)
            }
            return SweepSpec.Dataset(name: text, configFile: directory.appendingPathComponent(text + ".yaml"))
        }
        let entries = try mapping(node, "datasets")
        try checkKeys(entries, known: SweepSpec.datasetKeys, section: "a dataset entry")
        guard let nameNode = entries.first(where: { $0.key == "name" })?.value else {
            throw SweepError.missingKey(file: file, key: "name",
                                        why: "the dataset entry at line \(node.line) needs a name for paths and tables")
        }
        let name = try string(nameNode, "name")
        guard !name.isEmpty, !name.contains("/") else {
            throw bad(nameNode, "name", expected: "a folder name without '/'", found: "'\(name)'")
        }
        var configFile: URL?
        if let f = entries.first(where: { $0.key == "config_file" })?.value {
            configFile = try path(f, "config_file")
        } else {
            let guess = directory.appendingPathComponent(name + ".yaml")
            if FileManager.default.fileExists(atPath: guess.path) { configFile = guess }
        }
        let overrides = try entries.first(where: { $0.key == "overrides" })
            .map { Self.nested(try mapping($0.value, "overrides")) } ?? []
        return SweepSpec.Dataset(name: name, configFile: configFile, overrides: overrides)
    }

    /// Splits dotted keys (`OPTIM.LR: 0.1`) into nested mappings (`OPTIM: {LR: 0.1}`), keeping
    /// lines, so the entries merge like a config file and errors point into the sweep file.
    static func nested(_ entries: [YAMLNode.Entry]) -> [YAMLNode.Entry] {
        entries.map { nested(key: $0.key, value: $0.value, line: $0.line, column: $0.column) }
    }

    static func nested(key: String, value: YAMLNode, line: Int, column: Int) -> YAMLNode.Entry {
        var inner = value
        if case .mapping(let children) = value.kind {
            inner = YAMLNode(.mapping(nested(children)), line: value.line, column: value.column)
        }
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var entry = YAMLNode.Entry(key: parts.last!, line: line, column: column, value: inner)
        for part in parts.dropLast().reversed() {
            let parent = YAMLNode(.mapping([entry]), line: line, column: column)
            entry = YAMLNode.Entry(key: part, line: line, column: column, value: parent)
        }
        return entry
    }
}
