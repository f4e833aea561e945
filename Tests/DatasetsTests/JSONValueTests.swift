import Support
import Foundation
import Testing
@testable import Datasets

@Suite("JSONValue parser and writer")
struct JSONValueTests {
    @Test func keepsIntegersApartFromRealsAndBooleans() throws {
        let v = try JSONValue.parse(#"{"a": [1, 1.0, -2, 3e2, true, null, "x\u00e9\n\ud83d\ude00"], "b": {}}"#)
        #expect(v["a"] == .array([.int(1), .double(1.0), .int(-2), .double(300), .bool(true), .null,
                                  .string("xé\n😀")]))
        #expect(v["b"] == .object([]))
        #expect(v["c"] == nil)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "[01]", "\"abc", "[1] 2", "tru", "[\"\\x\"]", "{\"a\":1,}"])
    func rejectsMalformedText(text: String) {
        #expect(throws: JSONParseError.self) { _ = try JSONValue.parse(text) }
    }

    @Test func roundTripsThroughTheWriter() throws {
        let v = JSONValue.object([("train", .array([.array([.string("a \"b\"\\c\t"), .int(3), .string("x")])])),
                                  ("val", .array([]))])
        for indent in [nil, 4] as [Int?] {
            #expect(try JSONValue.parse(v.serialized(indent: indent)) == v)
        }
        #expect(v.serialized(indent: 4) == "{\n    \"train\": [\n        [\"a \\\"b\\\"\\\\c\\t\", 3, \"x\"]\n"
                                           + "    ],\n    \"val\": []\n}")
    }
}
