import Testing
@testable import Config

@Suite("Literal decoding (yacs: YAML 1.1 then literal_eval)")
struct LiteralTests {
    @Test("Python literals as ast.literal_eval reads them")
    func pythonLiterals() {
        let cases: [(String, LiteralValue?)] = [
            ("0.01", .float(0.01)), ("1e-5", .float(1e-5)), ("-3", .int(-3)), ("+2.5", .float(2.5)),
            ("- 7", .int(-7)), ("1_000", .int(1000)), ("0x1F", .int(31)), ("0o17", .int(15)), ("0b101", .int(5)),
            (".5", .float(0.5)), ("5.", .float(5)), ("1.e3", .float(1000)),
            ("True", .bool(true)), ("False", .bool(false)), ("None", LiteralValue.none),
            ("'a photo'", .string("a photo")), ("\"x\\ny\"", .string("x\ny")), ("'a' \"b\"", .string("ab")),
            ("(224, 224)", .list([.int(224), .int(224)])), ("[32, 32]", .list([.int(32), .int(32)])),
            ("(5)", .int(5)), ("(5,)", .list([.int(5)])), ("()", .list([])), ("1, 2", .list([.int(1), .int(2)])),
            ("[0.5, 'a', [1]]", .list([.float(0.5), .string("a"), .list([.int(1)])])),
            ("  [1, 2,]  ", .list([.int(1), .int(2)])),
            // Not literals: stay text in yacs.
            ("base", nil), ("true", nil), ("ViT-B/16", nil), ("a photo of a", nil), ("007", nil),
            ("1__0", nil), ("1_", nil), ("--5", nil), ("[a, b]", nil),
            ("'open", nil), ("0x", nil), ("1e", nil), ("", nil), ("/path/to/data", nil),
            // Python literals no config key can hold (a type error in yacs): not parsed.
            ("1+2j", nil), ("{1: 2}", nil),
        ]
        for (text, expected) in cases {
            #expect(PythonLiteral.parse(text) == expected, "literal_eval(\(text))")
        }
    }

    @Test("YAML 1.1 resolution of plain scalars (PyYAML's rules)")
    func yamlResolution() {
        let cases: [(String, LiteralValue?)] = [
            ("", LiteralValue.none), ("~", LiteralValue.none), ("null", LiteralValue.none),
            ("yes", .bool(true)), ("Off", .bool(false)), ("TRUE", .bool(true)),
            ("10", .int(10)), ("-1", .int(-1)), ("0755", .int(493)), ("0x_1F", .int(31)), ("1_000", .int(1000)),
            ("0.002", .float(0.002)), ("1.0e-5", .float(1e-5)), ("-.inf", .float(-.infinity)),
            ("1e-5", nil), ("y", nil), ("abc", nil), ("1.2.3", nil),
        ]
        for (text, expected) in cases {
            #expect(YAMLScalarResolver.resolve(text) == expected, "resolve(\(text))")
        }
        if case .float(let x)? = YAMLScalarResolver.resolve(".nan") { #expect(x.isNaN) } else { Issue.record(".nan") }
    }

    @Test("a plain YAML scalar goes through both steps; a quoted one only through literal_eval")
    func bothSteps() {
        #expect(ConfigInput.scalar("1e-5", .yamlPlain).literal == .float(1e-5))
        #expect(ConfigInput.scalar("(224, 224)", .yamlPlain).literal == .list([.int(224), .int(224)]))
        #expect(ConfigInput.scalar("yes", .yamlPlain).literal == .bool(true))
        #expect(ConfigInput.scalar("yes", .yamlQuoted).literal == .string("yes"))
        #expect(ConfigInput.scalar("0.5", .yamlQuoted).literal == .float(0.5))
        #expect(ConfigInput.scalar("true", .commandLine).literal == .string("true"))
    }

    @Test("floats are written so that YAML 1.1 and literal_eval read them back exactly")
    func floatText() {
        for x in [0.002, 1e-5, 5e-4, 0.48145466, 10.0, 1e20, -2.5e-300, 0.1] {
            let text = x.yamlText
            #expect(YAMLScalarResolver.float(text) == x, "YAML float \(text)")
            #expect(PythonLiteral.parse(text) == .float(x), "literal \(text)")
        }
        #expect((1e-5).yamlText == "1.0e-05")
    }

    @Test("edit distance for key suggestions")
    func editDistance() {
        #expect(ConfigTree.editDistance("OPTIM.LR", "OPTIM.LR", limit: 2) == 0)
        #expect(ConfigTree.editDistance("OPTIM.LR", "OPTIM.RL", limit: 2) == 2)
        #expect(ConfigTree.editDistance("DATASET.NAME", "DATASET.NAMES", limit: 2) == 1)
        #expect(ConfigTree.editDistance("ABC", "XYZW", limit: 2) == 3)
        #expect(ConfigTree.suggestion(for: "optim.lr") == "OPTIM.LR")
        #expect(ConfigTree.suggestion(for: "TRAINER.COCOOP.N_CXT") == "TRAINER.COCOOP.N_CTX")
        #expect(ConfigTree.suggestion(for: "COMPLETELY.DIFFERENT") == nil)
    }
}
