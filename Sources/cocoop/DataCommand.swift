import Foundation
import Datasets

/// `cocoop data show`: what a dataset configuration resolves to (class names, counts per
/// split, and with --json every item).
enum DataCommand: Command {
    static let name = "data"
    static let summary = "show a dataset as a config resolves it (classes, split counts, items)"
    static let usage = """
    usage: cocoop data show --root DATA (--dataset-config-file FILE | --dataset NAME)
                            [--split-file FILE] [--num-shots K] [--seed S]
                            [--subsample all|base|new] [--check-images] [--no-cache] [--json]

    Loads a dataset in CoOp's layout under DATA and prints its class names and the number
    of items per split (and per class); --json prints one JSON object with every item as
    [relative_path, label, classname].

      --root DATA                 DATASET.ROOT, the folder holding oxford_pets/, imagenet/, ...
      --dataset-config-file FILE  a CoOp dataset YAML (configs/datasets/*.yaml); only
                                  DATASET.NAME and DATASET.SPLIT_FILE are read from it
      --dataset NAME              DATASET.NAME directly (overrides the file's):
                                  \(DatasetCatalog.descriptors.map(\.name).joined(separator: ", "))
      --split-file FILE           DATASET.SPLIT_FILE: a split JSON (required for SplitFile,
                                  whose image paths are relative to the JSON's folder;
                                  relative FILE is taken under DATA)
      --num-shots K               DATASET.NUM_SHOTS (default -1: every item). Draws the
                                  subset as CoOp does for SEED and caches it in
                                  <dataset>/split_fewshot/shot_K-seed_S.json (reused if present)
      --seed S                    SEED (default 1)
      --subsample all|base|new    DATASET.SUBSAMPLE_CLASSES (default all)
      --check-images              check that every image file exists
      --no-cache                  neither read nor write the few-shot cache
      --json                      print JSON with every item
    """

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["root", "dataset-config-file", "dataset", "split-file", "num-shots",
                                             "seed", "subsample"],
                              boolean: ["json", "check-images", "no-cache"])
        guard a.positional == ["show"] else {
            throw UsageError(a.positional.isEmpty
                             ? "missing subcommand (show)"
                             : "unknown subcommand '\(a.positional.joined(separator: " "))' (expected show)")
        }
        guard let root = a.value("root") else { throw UsageError("--root DATA is required") }
        var name = a.value("dataset")
        var splitFile = a.value("split-file")
        if let file = a.value("dataset-config-file") {
            let keys = try DatasetYAML.read(URL(fileURLWithPath: file))
            if name == nil { name = keys.name }
            if splitFile == nil { splitFile = keys.splitFile }
        }
        guard let name else {
            throw UsageError("give --dataset-config-file FILE (with DATASET.NAME) or --dataset NAME")
        }
        let options = DatasetLoadOptions(
            numShots: try a.int("num-shots", default: -1),
            seed: try a.int("seed", default: 1),
            subsample: try ClassSubset(parsing: a.value("subsample") ?? "all"),
            checkImages: a.has("check-images"),
            useFewShotCache: !a.has("no-cache"))
        let splits = try DatasetCatalog.load(name: name, root: URL(fileURLWithPath: root),
                                             splitFile: splitFile.map { URL(fileURLWithPath: $0) }, options: options)
        for warning in splits.warnings { printError("warning: \(warning)") }
        if a.has("json") {
            print(splits.jsonDescription(includeItems: true))
        } else {
            printSummary(splits, options: options)
        }
        return 0
    }

    // MARK: - Text output

    private static func printSummary(_ s: DatasetSplits, options: DatasetLoadOptions) {
        func row(_ k: String, _ v: String) { print("\(k.padding(toLength: 12, withPad: " ", startingAt: 0))\(v)") }
        row("dataset", s.name)
        row("folder", s.datasetDirectory.path)
        row("images", s.imageRoot.path)
        if let f = s.splitFile { row("split file", f.path) }
        if s.isTestOnly {
            row("note", "test-only dataset: few-shot and subsample settings do not apply")
        } else {
            row("few-shot", s.fewShotNote ?? "no (every item)")
            row("subsample", options.subsample.rawValue)
        }
        row("classes", "\(s.numClasses)")
        row("items", s.counts.map { "\($0.split.rawValue) \($0.count)" }.joined(separator: ", "))
        print("")
        let perClass = Split.allCases.map { s.countsPerClass($0) }
        print("label  train    val   test  class name")
        for (label, name) in s.classnames.enumerated() {
            let c = perClass.map { String($0[label]).leftPadded(to: 6) }.joined(separator: " ")
            print("\(String(label).leftPadded(to: 5)) \(c)  \(name)")
        }
    }
}

private extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

// MARK: - Minimal dataset YAML reader

/// Reads DATASET.NAME and DATASET.SPLIT_FILE from a CoOp dataset YAML until the full
/// config loader exists: `DATASET:` at column 0, then indented `KEY: value` lines
/// (quotes and trailing `# comments` removed). Other keys are ignored here.
enum DatasetYAML {
    /// The two keys this command needs.
    struct Keys { var name: String?; var splitFile: String? }

    /// Parses `file`.
    /// - Throws: `UsageError` naming the file when it cannot be read or has no DATASET.NAME.
    static func read(_ file: URL) throws -> Keys {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw UsageError("cannot read dataset config file \(file.path)")
        }
        var keys = Keys()
        var inDataset = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = stripComment(String(raw)).replacingOccurrences(of: "\r", with: "")
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let indented = line.first == " " || line.first == "\t"
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !indented {
                inDataset = trimmed.hasPrefix("DATASET:")
                continue
            }
            guard inDataset, let colon = trimmed.firstIndex(of: ":") else { continue }
            let key = String(trimmed[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = unquote(String(trimmed[trimmed.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
            switch key {
            case "NAME": keys.name = value
            case "SPLIT_FILE": keys.splitFile = value.isEmpty ? nil : value
            default: break
            }
        }
        guard keys.name?.isEmpty == false else {
            throw UsageError("\(file.path): no DATASET.NAME found")
        }
        return keys
    }

    /// Removes a `#` comment that is not inside quotes.
    private static func stripComment(_ line: String) -> String {
        var quote: Character? = nil
        for (i, ch) in zip(line.indices, line) {
            if let q = quote {
                if ch == q { quote = nil }
            } else if ch == "\"" || ch == "'" {
                quote = ch
            } else if ch == "#" {
                return String(line[..<i])
            }
        }
        return line
    }

    private static func unquote(_ s: String) -> String {
        if s.count >= 2, let f = s.first, let l = s.last, f == l, f == "\"" || f == "'" {
            return String(s.dropFirst().dropLast())
        }
        return s
    }
}
