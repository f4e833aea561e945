import Support
import Foundation

/// CoOp's split files: `{"train"|"val"|"test": [[relative_path, label, classname], ...]}`
/// (`split_zhou_<Name>.json`, written by CoOp's `OxfordPets.save_split`), and the few-shot
/// cache files of the same entry format.
public enum SplitFile {
    // MARK: - Reading

    /// Reads the splits `keys` of a split file; image paths are joined to `imageRoot`.
    ///
    /// Checks what CoOp's `read_split` assumes: the top level is an object holding every
    /// key of `keys`, each an array of 3-element arrays `[string, integer >= 0, string]`,
    /// and one label never carries two class names (across all the splits read).
    /// - Returns: the items of each key, in file order.
    /// - Throws: `DatasetError` naming the file, the split, the entry index and the problem.
    public static func read(_ file: URL, imageRoot: URL, keys: [Split] = Split.allCases) throws -> [Split: [Datum]] {
        let root = try parseJSON(file)
        guard case .object = root else {
            throw DatasetError.malformedSplitFile(
                path: file.path, reason: "top level must be an object with keys "
                                         + "\(keys.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), "
                                         + "found \(root.kindDescription)")
        }
        var out: [Split: [Datum]] = [:]
        var lists: [(Split, [Datum])] = []
        for key in keys {
            guard let value = root[key.rawValue] else {
                throw DatasetError.missingSplit(path: file.path, split: key.rawValue)
            }
            let items = try entries(value, split: key.rawValue, file: file, imageRoot: imageRoot)
            out[key] = items
            lists.append((key, items))
        }
        _ = try DatasetSplits.namesByLabel(lists, source: file.path)  // label/classname consistency
        return out
    }

    /// Parses a JSON file, mapping failures to `DatasetError` with the path.
    static func parseJSON(_ file: URL) throws -> JSONValue {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw DatasetError.missing(path: file.path, what: "split file")
        }
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw DatasetError.unreadable(path: file.path, reason: FileFailure.reason(error))
        }
        do { return try JSONValue.parse(data) } catch let e as JSONParseError {
            throw DatasetError.malformedJSON(path: file.path, line: e.line, column: e.column, reason: e.message)
        }
    }

    /// Converts one split's array of entries.
    private static func entries(_ value: JSONValue, split: String, file: URL, imageRoot: URL) throws -> [Datum] {
        guard case .array(let list) = value else {
            throw DatasetError.splitNotArray(path: file.path, split: split, found: value.kindDescription)
        }
        let prefix = imageRoot.path.hasSuffix("/") ? imageRoot.path : imageRoot.path + "/"
        var out: [Datum] = []
        out.reserveCapacity(list.count)
        for (i, entry) in list.enumerated() {
            func bad(_ reason: String) -> DatasetError {
                .badEntry(path: file.path, split: split, index: i, reason: reason)
            }
            guard case .array(let fields) = entry, fields.count == 3 else {
                throw bad("expected [relative_path, label, classname], found \(entry.kindDescription): "
                          + "\(entry.excerpt())")
            }
            guard case .string(let rel) = fields[0] else {
                throw bad("image path must be a string, found \(fields[0].kindDescription): \(fields[0].excerpt())")
            }
            guard !rel.isEmpty else { throw bad("image path is empty") }
            guard case .int(let label) = fields[1] else {
                throw bad("label must be an integer, found \(fields[1].kindDescription): \(fields[1].excerpt())")
            }
            guard label >= 0 else { throw bad("label must be >= 0, found \(label)") }
            guard case .string(let classname) = fields[2] else {
                throw bad("classname must be a string, found \(fields[2].kindDescription): \(fields[2].excerpt())")
            }
            // os.path.join would let an absolute path or ".." reach any file on the machine
            // (and `pack` would copy it): every image lies under the image root.
            guard !rel.hasPrefix("/") else { throw bad("image path \(String(reflecting: rel)) is absolute; "
                                                       + "paths are relative to \(imageRoot.path)") }
            guard !rel.split(separator: "/").contains("..") else {
                throw bad("image path \(String(reflecting: rel)) leaves the image root \(imageRoot.path) (\"..\")")
            }
            let path = prefix + rel
            out.append(Datum(imagePath: path, label: label, classname: classname))
        }
        return out
    }

    // MARK: - Writing

    /// The JSON form of items: `[[relative_path, label, classname], ...]`, paths made
    /// relative to `imageRoot` as CoOp's `save_split` does.
    static func json(_ items: [Datum], imageRoot: URL) -> JSONValue {
        let prefix = imageRoot.path.hasSuffix("/") ? imageRoot.path : imageRoot.path + "/"
        return .array(items.map { d in
            let rel = d.imagePath.hasPrefix(prefix) ? String(d.imagePath.dropFirst(prefix.count)) : d.imagePath
            return .array([.string(rel), .int(d.label), .string(d.classname)])
        })
    }

    /// Writes `splits` (in the given key order) as a split file, atomically (a temporary
    /// file in the same folder, then rename), indented by 4 like CoOp's `write_json`.
    /// - Throws: `DatasetError.writeFailed` naming the path.
    public static func write(_ splits: [(Split, [Datum])], imageRoot: URL, to file: URL) throws {
        let value = JSONValue.object(splits.map { ($0.0.rawValue, json($0.1, imageRoot: imageRoot)) })
        try writeAtomically(value.serialized(indent: 4) + "\n", to: file)
    }

    /// Writes text to a temporary name beside `file` and renames it into place, so that
    /// concurrent writers (several ranks) and readers never see a partial file.
    static func writeAtomically(_ text: String, to file: URL) throws {
        let dir = file.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let tmp = dir.appendingPathComponent(".\(file.lastPathComponent).\(getpid())."
                                                 + "\(UInt32.random(in: 0...UInt32.max)).tmp")
            try Data(text.utf8).write(to: tmp)
            if rename(tmp.path, file.path) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: tmp)
                throw DatasetError.writeFailed(path: file.path, reason: reason)
            }
        } catch let e as DatasetError {
            throw e
        } catch {
            throw DatasetError.writeFailed(path: file.path, reason: FileFailure.reason(error))
        }
    }
}
