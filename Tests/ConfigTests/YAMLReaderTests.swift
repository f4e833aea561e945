import Foundation
import Testing
@testable import Config

@Suite("YAML reader")
struct YAMLReaderTests {
    @Test("block and flow mappings and sequences, with 1-based lines and columns")
    func structure() throws {
        let text = """
        # comment
        A:
          B: 1
          C: [x, "y", 'z']
        D: {E: 2, F: [1, 2]}
        G:
          - one
          - two: 3
        """
        let doc = try YAMLReader.parse(text, file: "t.yaml")
        let root = try #require(doc.root)
        guard case .mapping(let top) = root.kind else { Issue.record("root is not a mapping"); return }
        #expect(top.map(\.key) == ["A", "D", "G"])
        #expect(top[0].line == 2 && top[0].column == 1)
        guard case .mapping(let a) = top[0].value.kind else { Issue.record("A is not a mapping"); return }
        #expect(a[0].key == "B" && a[0].line == 3 && a[0].column == 3)
        #expect(a[0].value.kind == .scalar("1", .plain))
        guard case .sequence(let c) = a[1].value.kind else { Issue.record("C is not a sequence"); return }
        #expect(c.map(\.kind) == [.scalar("x", .plain), .scalar("y", .quoted), .scalar("z", .quoted)])
        #expect(c[1].line == 4 && c[1].column == 10)
        guard case .mapping(let d) = top[1].value.kind else { Issue.record("D is not a mapping"); return }
        #expect(d.map(\.key) == ["E", "F"])
        guard case .sequence(let g) = top[2].value.kind else { Issue.record("G is not a sequence"); return }
        #expect(g.count == 2)
        #expect(g[1].line == 8)
    }

    @Test("empty and comment-only documents have no root")
    func emptyDocuments() throws {
        #expect(try YAMLReader.parse("", file: "e").root == nil)
        #expect(try YAMLReader.parse("# nothing\n\n", file: "e").root == nil)
    }

    @Test("a syntax error names the file and line")
    func syntaxError() {
        let error = configError { _ = try YAMLReader.parse("A:\n  B: [1, 2\nC: 3\n", file: "bad.yaml") }
        guard case let .yamlSyntax(file, line, _, _)? = error else {
            Issue.record("expected a syntax error, got \(String(describing: error))")
            return
        }
        #expect(file == "bad.yaml")
        #expect(line >= 2)
        #expect(error!.description.contains("bad.yaml:"))
    }

    @Test("a tab-indented file is a syntax error, not a crash")
    func tabs() {
        let error = configError { _ = try YAMLReader.parse("A:\n\tB: 1\n", file: "tabs.yaml") }
        #expect(error?.description.contains("tabs.yaml:2") == true)
    }

    @Test("duplicate keys are rejected with both lines")
    func duplicateKeys() {
        let error = configError { _ = try YAMLReader.parse("OPTIM:\n  LR: 1\n  LR: 2\n", file: "dup.yaml") }
        #expect(error == .duplicateKey(key: "OPTIM.LR", file: "dup.yaml", line: 3, firstLine: 2))
    }

    @Test("anchors and aliases are resolved; alias bombs are refused")
    func anchors() throws {
        let doc = try YAMLReader.parse("A: &x [1, 2]\nB: *x\n", file: "a.yaml")
        guard case .mapping(let entries)? = doc.root?.kind else { Issue.record("no mapping"); return }
        #expect(entries[1].value.kind == entries[0].value.kind)
        #expect(entries[1].value.line == 2)

        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 {
            let previous = level == 1 ? "a" : "l\(level - 1)"
            bomb += "l\(level): &l\(level) ["
                + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        let error = configError { _ = try YAMLReader.parse(bomb, file: "bomb.yaml") }
        #expect(error?.description.contains("more than") == true)
        #expect(configError { _ = try YAMLReader.parse("A: *nope\n", file: "n.yaml") } != nil)
    }

    @Test("several documents and complex keys are rejected")
    func unsupported() {
        #expect(configError { _ = try YAMLReader.parse("A: 1\n---\nB: 2\n", file: "m.yaml") }?
                    .description.contains("more than one document") == true)
        #expect(configError { _ = try YAMLReader.parse("? [a, b]\n: 1\n", file: "k.yaml") }?
                    .description.contains("must be a scalar") == true)
    }

    @Test("block scalars and !!str are quoted; a missing file is named")
    func stylesAndFiles() throws {
        let doc = try YAMLReader.parse("A: |\n  text\nB: !!str 12\n", file: "s.yaml")
        guard case .mapping(let entries)? = doc.root?.kind else { Issue.record("no mapping"); return }
        #expect(entries[0].value.kind == .scalar("text\n", .quoted))
        #expect(entries[1].value.kind == .scalar("12", .quoted))
        let missing = URL(fileURLWithPath: "/nonexistent/folder/x.yaml")
        #expect(configError { _ = try YAMLReader.read(contentsOf: missing) }
                    == .unreadableFile(path: "/nonexistent/folder/x.yaml", reason: "no such file"))
    }

    @Test("a config path that cannot be read gives the system's reason, not Foundation's error number")
    func unreadableConfigNamesTheReason() {
        let folder = FileManager.default.temporaryDirectory
        #expect(configError { _ = try YAMLReader.read(contentsOf: folder) }
                    == .unreadableFile(path: folder.path, reason: "Is a directory"))
    }
}
