import Foundation

/// A command-line usage error: names the flag or value that was wrong.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// A small hand-written argument reader: `--flag VALUE`, `--flag=VALUE`, boolean `--flag`,
/// repeated flags, argparse's `nargs="+"` flags (`--flag A B C`), positional arguments and
/// trailing `KEY VALUE` pairs.
struct Arguments {
    private(set) var options: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positional: [String] = []

    /// Parses `args`; `valued` lists the flags that take a value, `boolean` those that do not,
    /// `multiple` those that take one or more (argparse's `nargs="+"`): the words after such a
    /// flag up to the next `-`word or config key (`DATASET.NUM_SHOTS`, see `isConfigKey`).
    init(_ args: [String], valued: Set<String>, boolean: Set<String> = [], multiple: Set<String> = []) throws {
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" { positional += args[(i + 1)...]; break }
            if a.hasPrefix("--") {
                var name = String(a.dropFirst(2)), value: String? = nil
                if let eq = name.firstIndex(of: "=") {
                    value = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                if boolean.contains(name) || name == "help" {
                    guard value == nil else { throw UsageError("--\(name) takes no value") }
                    flags.insert(name)
                } else if multiple.contains(name) {
                    var words = value.map { [$0] } ?? []
                    while i + 1 < args.count, !args[i + 1].hasPrefix("-"), !Self.isConfigKey(args[i + 1]) {
                        i += 1
                        words.append(args[i])
                    }
                    guard !words.isEmpty else { throw UsageError("--\(name) needs at least one value") }
                    options[name, default: []] += words
                } else if valued.contains(name) {
                    if value == nil {
                        guard i + 1 < args.count else { throw UsageError("--\(name) needs a value") }
                        i += 1
                        value = args[i]
                    }
                    options[name, default: []].append(value!)
                } else {
                    throw UsageError("unknown option --\(name)")
                }
            } else {
                positional.append(a)
            }
            i += 1
        }
    }

    /// Whether `word` reads as a config key of the trailing `KEY VALUE` pairs: an upper-case
    /// word, dotted or not (`DATASET.NUM_SHOTS`, `SEED`); domain and transform names are lower case.
    static func isConfigKey(_ word: String) -> Bool {
        guard let first = word.first, first.isUppercase, first.isLetter else { return false }
        return word.allSatisfy { ($0.isLetter && $0.isUppercase) || $0.isNumber || $0 == "_" || $0 == "." }
    }

    /// The last value of `--name`, if given.
    func value(_ name: String) -> String? { options[name]?.last }
    /// Every value of a repeated `--name`.
    func values(_ name: String) -> [String] { options[name] ?? [] }
    /// Whether boolean `--name` was given.
    func has(_ name: String) -> Bool { flags.contains(name) }

    /// The integer value of `--name`, or `defaultValue`.
    func int(_ name: String, default defaultValue: Int) throws -> Int {
        guard let v = value(name) else { return defaultValue }
        guard let n = Int(v) else { throw UsageError("--\(name) expects an integer, got '\(v)'") }
        return n
    }
}

/// One subcommand of the `cocoop` tool.
protocol Command {
    /// The word after `cocoop`.
    static var name: String { get }
    /// One line for the command list.
    static var summary: String { get }
    /// The full `--help` text.
    static var usage: String { get }
    /// Runs with the arguments after the subcommand; returns the exit status.
    static func run(_ args: [String]) throws -> Int32
}
