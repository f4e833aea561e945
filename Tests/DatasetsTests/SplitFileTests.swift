import Foundation
import Testing
import TestSupport
@testable import Datasets

@Suite("Split files: parsing and precise errors")
struct SplitFileTests {
    func load(_ json: String) throws -> (TemporaryDirectory, URL) {
        let tmp = try TemporaryDirectory("cocoop-datasets")
        let file = try tmp.write("split.json", json)
        return (tmp, file)
    }

    @Test func readsEntriesInOrder() throws {
        let (tmp, file) = try load(#"{"train": [["a/1.jpg", 1, "b"], ["a/0.jpg", 0, "a"]], "val": [], "#
                                   + #""test": [["c/2.jpg", 0, "a"]]}"#)
        let root = tmp.url.appendingPathComponent("images")
        let s = try SplitFile.read(file, imageRoot: root)
        #expect(s[.train]! == [Datum(imagePath: root.path + "/a/1.jpg", label: 1, classname: "b"),
                              Datum(imagePath: root.path + "/a/0.jpg", label: 0, classname: "a")])
        #expect(s[.val]! == [])
        #expect(s[.test]!.first?.imagePath == root.path + "/c/2.jpg")
    }

    @Test(arguments: [
        (#"[["a.jpg", 0]]"#, "train[0]: expected [relative_path, label, classname], found an array of 2"),
        (#"[["a.jpg", 0, "x"], "a.jpg"]"#, "train[1]: expected [relative_path, label, classname], found a string"),
        (#"[["a.jpg", "0", "x"]]"#, "train[0]: label must be an integer, found a string: \"0\""),
        (#"[["a.jpg", 0, "x"], ["b.jpg", 1.0, "y"]]"#, "train[1]: label must be an integer, found a real number: 1.0"),
        (#"[["a.jpg", true, "x"]]"#, "train[0]: label must be an integer, found a boolean"),
        (#"[["a.jpg", -1, "x"]]"#, "train[0]: label must be >= 0, found -1"),
        (#"[["a.jpg", 0, 7]]"#, "train[0]: classname must be a string, found an integer: 7"),
        (#"[[3, 0, "x"]]"#, "train[0]: image path must be a string, found an integer"),
        // Paths that would reach files outside the image root (pack would copy them).
        (#"[["/etc/passwd", 0, "x"]]"#, "train[0]: image path \"/etc/passwd\" is absolute; paths are relative to /img"),
        (#"[["a/../../etc/passwd", 0, "x"]]"#,
         "train[0]: image path \"a/../../etc/passwd\" leaves the image root /img (\"..\")"),
    ])
    func malformedEntryNamesFileSplitIndexAndProblem(train: String, message: String) throws {
        let (tmp, file) = try load("{\"train\": \(train), \"val\": [], \"test\": []}")
        let e = expectDatasetError { _ = try SplitFile.read(file, imageRoot: URL(fileURLWithPath: "/img")) }
        withExtendedLifetime(tmp) {}
        let text = try #require(e).description
        #expect(text.hasPrefix(file.path + ": "), "\(text)")
        #expect(text.contains(message), "\(text)")
        guard case .badEntry(let path, let split, _, _) = e else {
            Issue.record("wrong case \(String(describing: e))"); return
        }
        #expect(path == file.path && split == "train")
    }

    @Test func missingSplitKey() throws {
        let (tmp, file) = try load(#"{"train": [], "val": []}"#)
        let e = expectDatasetError { _ = try SplitFile.read(file, imageRoot: URL(fileURLWithPath: "/")) }
        withExtendedLifetime(tmp) {}
        #expect(e == .missingSplit(path: file.path, split: "test"))
    }

    @Test func splitNotAnArray() throws {
        let (tmp, file) = try load(#"{"train": [], "val": {"a": 1}, "test": []}"#)
        let e = expectDatasetError { _ = try SplitFile.read(file, imageRoot: URL(fileURLWithPath: "/")) }
        withExtendedLifetime(tmp) {}
        #expect(e == .splitNotArray(path: file.path, split: "val", found: "an object"))
    }

    @Test func topLevelNotAnObject() throws {
        let (tmp, file) = try load(#"[["a.jpg", 0, "x"]]"#)
        let e = expectDatasetError { _ = try SplitFile.read(file, imageRoot: URL(fileURLWithPath: "/")) }
        withExtendedLifetime(tmp) {}
        guard case .malformedSplitFile(let path, _) = e else {
            Issue.record("wrong case \(String(describing: e))"); return
        }
        #expect(path == file.path)
    }

    @Test func invalidJSONGivesLineAndColumn() throws {
        let (tmp, file) = try load("{\"train\": [\n  [\"a.jpg\", 0, \"x\"],\n  [\"b.jpg\" 1, \"y\"]\n]}")
        let e = expectDatasetError { _ = try SplitFile.read(file, imageRoot: URL(fileURLWithPath: "/")) }
        withExtendedLifetime(tmp) {}
        guard case .malformedJSON(let path, let line, let column, _) = e else {
            Issue.record("wrong case \(String(describing: e))"); return
        }
        #expect(path == file.path && line == 3 && column == 12)
    }

    @Test func labelClassnameMismatchAcrossSplits() throws {
        let (tmp, file) = try load(#"{"train": [["a.jpg", 0, "cat"], ["b.jpg", 1, "dog"]], "val": [], "#
                                   + #""test": [["c.jpg", 1, "dog"], ["d.jpg", 0, "lion"]]}"#)
        let e = expectDatasetError { _ = try SplitFile.read(file, imageRoot: URL(fileURLWithPath: "/")) }
        withExtendedLifetime(tmp) {}
        #expect(e == .classnameMismatch(path: file.path, label: 0,
                                        first: .init(split: "train", index: 0, classname: "cat"),
                                        second: .init(split: "test", index: 1, classname: "lion")))
        #expect(e?.description.contains("label 0 has two class names: train[0] ('cat') and test[1] ('lion')") == true)
    }

    @Test func missingFileIsNamed() {
        let e = expectDatasetError { _ = try SplitFile.read(URL(fileURLWithPath: "/nonexistent/split.json"),
                                                            imageRoot: URL(fileURLWithPath: "/")) }
        #expect(e == .missing(path: "/nonexistent/split.json", what: "split file"))
    }

    @Test func writeThenReadRoundTrips() throws {
        let tmp = try TemporaryDirectory("cocoop-datasets")
        let root = tmp.url.appendingPathComponent("img")
        let items = [Datum(imagePath: root.path + "/x/é \"q\".jpg", label: 2, classname: "b\\c"),
                     Datum(imagePath: root.path + "/y.jpg", label: 0, classname: "a")]
        let file = tmp.url.appendingPathComponent("sub/out.json")
        try SplitFile.write([(.train, items), (.val, []), (.test, items)], imageRoot: root, to: file)
        let back = try SplitFile.read(file, imageRoot: root)
        #expect(back[.train]! == items && back[.test]! == items && back[.val]! == [])
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains("\"x/é \\\"q\\\".jpg\""))  // relative to the image root, escaped
    }

    @Test(arguments: ["a\u{0}b", "cat\u{1B}[2J", "dog\n"])
    func aControlCharacterInAClassNameIsRefusedShownEscaped(_ name: String) throws {
        let entry = String(data: try JSONSerialization.data(withJSONObject: [["a.jpg", 0, name]]), encoding: .utf8)!
        let (tmp, file) = try load("{\"train\": [], \"val\": [], \"test\": \(entry)}")
        let e = expectDatasetError {
            _ = try DatasetCatalog.readSplitFileDataset(name: "x", file: file, datasetDirectory: tmp.url,
                                                        imageRoot: tmp.url)
        }
        let text = try #require(e).description
        #expect(text == "\(file.path): test[0]: class name \(String(reflecting: name)) holds a control character")
        #expect(!text.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(text)")
    }
}
