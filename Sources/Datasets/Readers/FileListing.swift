import Foundation
import Support
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Directory listings and text files as CoOp's readers see them, made deterministic.
enum FileListing {
    // MARK: - Directories

    /// The non-hidden entries of `dir` (Dassl's `listdir_nohidden`), split into folders and
    /// other files, each sorted by code point as Python's `sorted` does.
    ///
    /// Dassl lists images in `os.listdir` order, which depends on the file system; sorting
    /// gives every rank and every machine the same order.
    /// - Throws: `DatasetError.missing` (naming `what`) if `dir` is not a folder.
    static func entries(of dir: URL, what: String) throws -> (folders: [String], files: [String]) {
        guard let handle = opendir(dir.path) else {
            throw DatasetError.missing(path: dir.path, what: what)
        }
        defer { closedir(handle) }
        var folders: [String] = [], files: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { ptr in
                ptr.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }
            var isDir: Bool
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): isDir = true
            case Int32(DT_REG): isDir = false
            default:  // DT_UNKNOWN or a link: ask stat (follows links, as os.path.isdir)
                var st = stat()
                isDir = stat(dir.appendingPathComponent(name).path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
            }
            if isDir { folders.append(name) } else { files.append(name) }
        }
        return (sortedByCodePoint(folders), sortedByCodePoint(files))
    }

    /// Strings sorted by Unicode code point (UTF-8 byte order), as Python sorts `str`.
    static func sortedByCodePoint(_ names: [String]) -> [String] {
        names.sorted { a, b in a.utf8.lexicographicallyPrecedes(b.utf8) }
    }

    // MARK: - Text files

    /// The lines of a text file as Python's `readlines()` gives them in text mode
    /// (universal newlines), without their line ends.
    /// - Throws: `DatasetError.missing` naming `what`, or `.unreadable`.
    static func lines(of file: URL, what: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw DatasetError.missing(path: file.path, what: what)
        }
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw DatasetError.unreadable(path: file.path, reason: FileFailure.reason(error))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DatasetError.unreadable(path: file.path, reason: "not UTF-8 text")
        }
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Lines stripped of surrounding white space (Python's `str.strip()`); blank lines at
    /// the end of the file are dropped, a blank line before other lines is an error
    /// (the reference would turn it into a class or crash on it).
    static func strippedLines(of file: URL, what: String) throws -> [(number: Int, text: String)] {
        var out = try lines(of: file, what: what).enumerated().map {
            (number: $0.offset + 1, text: $0.element.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        while out.last?.text.isEmpty == true { out.removeLast() }
        if let blank = out.first(where: { $0.text.isEmpty }) {
            throw DatasetError.badLine(path: file.path, line: blank.number, reason: "blank line")
        }
        return out
    }

    /// Python's `line.split(" ")`: split on single spaces, keeping empty fields.
    static func splitOnSpace(_ s: String) -> [String] {
        s.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    }
}
