import Foundation
import Testing
import TestSupport
@testable import Support

@Suite("Safetensors")
struct SafetensorsTests {
    // MARK: - Writer -> reader round trip

    @Test("Writer output reads back: dtypes, shapes, values, metadata, layout")
    func roundTrip() throws {
        try TemporaryDirectory.with("support-tests") { (folder: URL) throws in
            var writer = SafetensorsWriter(metadata: ["format": "pt", "note": "quote \" and \\ backslash"])
            let values: [Float] = [1, -2.5, 0.1, 65519, 1e-7, 3.14159265]
            try writer.add("z.f32", shape: [2, 3], floats: values)
            try writer.add("a.f16", shape: [3, 2], floats: values, as: .f16)
            try writer.add("m.bf16", shape: [6], floats: values, as: .bf16)
            try writer.add("b.f64", shape: [2], doubles: [0.1, -1e300])
            try writer.add("c.i64", shape: [3], int64s: [-1, 0, Int64.max])
            try writer.add("d.u8", shape: [1, 3], uint8s: [0, 7, 255])
            try writer.add("e.scalar", shape: [], floats: [4.25])
            try writer.add("f.empty", shape: [0, 3], floats: [])
            try writer.add("g.generated", shape: [4], as: .f32) { buffer in
                for i in 0..<buffer.count { buffer[i] = Float(i) * 0.5 }
            }
            let url = folder.appendingPathComponent("t.safetensors")
            try writer.write(to: url)

            let file = try SafetensorsFile(url: url)
            #expect(file.names == ["a.f16", "b.f64", "c.i64", "d.u8", "e.scalar", "f.empty", "g.generated",
                                   "m.bf16", "z.f32"])
            #expect(file.metadata == writer.metadata)
            #expect(file.dataStart % 8 == 0)
            #expect(try file.dtype("a.f16") == .f16)
            #expect(try file.shape("a.f16") == [3, 2])
            #expect(try file.floats("z.f32") == values)
            #expect(try file.floats("a.f16") == values.map { Float(Float16($0)) })
            let bf16 = values.map { HalfFloat.float(fromBFloat16Bits: HalfFloat.bfloat16Bits(from: $0)) }
            #expect(try file.floats("m.bf16") == bf16)
            #expect(try file.doubles("b.f64") == [0.1, -1e300])
            #expect(try file.floats("b.f64") == [Float(0.1), -Float.infinity])
            #expect(try file.doubles("a.f16") == values.map { Double(Float(Float16($0))) })
            #expect(try file.int64s("c.i64") == [-1, 0, Int64.max])
            #expect(try file.int64s("d.u8") == [0, 7, 255])
            #expect(try file.uint8s("d.u8") == [0, 7, 255])
            #expect(try file.shape("e.scalar") == [])
            #expect(try file.floats("e.scalar") == [4.25])
            #expect(try file.floats("f.empty") == [])
            #expect(try file.floats("g.generated") == [0, 0.5, 1, 1.5])
            // Tensors are laid out widest dtype first, then by name, each aligned to its
            // element size; the header is space-padded JSON.
            let layout = file.tensors.sorted { $0.dataOffsets.lowerBound < $1.dataOffsets.lowerBound }.map(\.name)
            #expect(layout == ["b.f64", "c.i64", "e.scalar", "f.empty", "g.generated", "z.f32", "a.f16",
                               "m.bf16", "d.u8"])
            #expect(file.tensors.allSatisfy { $0.dataOffsets.lowerBound % $0.dtype.byteSize == 0 })
            let raw = try Data(contentsOf: url)
            let header = String(decoding: raw[8..<file.dataStart], as: UTF8.self)
            #expect(header.hasPrefix("{\"__metadata__\":{"))
            #expect(header.trimmingCharacters(in: .whitespaces).hasSuffix("}"))
            #expect(try file.float32Pointer("z.f32")?[5] == 3.14159265)
            #expect(try file.float32Pointer("a.f16") == nil)
        }
    }

    @Test("Writer rejects duplicates, wrong counts and dtypes it cannot encode")
    func writerErrors() throws {
        var writer = SafetensorsWriter()
        try writer.add("x", shape: [2], floats: [1, 2])
        #expect(throws: SafetensorsError.duplicateTensor(path: "<safetensors writer>", tensor: "x")) {
            try writer.add("x", shape: [2], floats: [1, 2])
        }
        #expect(throws: SafetensorsError.valueCountMismatch(path: "<safetensors writer>", tensor: "y",
                                                            shape: [2, 2], count: 3)) {
            try writer.add("y", shape: [2, 2], floats: [1, 2, 3])
        }
        #expect(throws: SafetensorsError.unsupportedWriteDType(path: "<safetensors writer>", tensor: "w",
                                                               dtype: "I32")) {
            try writer.add("w", shape: [1], floats: [1], as: .i32)
        }
        let error = TestFiles.error { try writer.write(to: URL(fileURLWithPath: "/nonexistent-dir/x.safetensors")) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("/nonexistent-dir/x.safetensors"))
    }

    // MARK: - The fixture file

    @Test("The float16 fixture parses and matches the manifest's tensor list")
    func fixture() throws {
        let file = try SafetensorsFile(url: TestFiles.fixtures.appendingPathComponent("clip_openai_f16.safetensors"))
        #expect(file.names.count == 74)
        #expect(file.metadata == ["format": "pt"])
        #expect(try file.shape("visual.conv1.weight") == [192, 3, 8, 8])
        #expect(try file.shape("logit_scale") == [])
        #expect(file.tensors.allSatisfy { $0.dtype == .f16 })
        let logitScale = try file.floats("logit_scale")
        #expect(logitScale.count == 1 && abs(exp(logitScale[0]) - 14.5) < 0.1)
    }

    // MARK: - Corrupt files

    @Test("Truncated files and header lengths beyond the end are rejected")
    func truncatedAndBadLength() throws {
        try TemporaryDirectory.with("support-tests") { (folder: URL) throws in
            let tiny = folder.appendingPathComponent("tiny.safetensors")
            try Data([1, 2, 3, 4, 5]).write(to: tiny)
            #expect(throws: SafetensorsError.truncated(path: tiny.path, fileSize: 5)) { try SafetensorsFile(url: tiny) }

            let long = try TestFiles.writeRaw(folder, "long.safetensors", header: "{}", data: [], headerLength: 1000)
            #expect(throws: SafetensorsError.headerLengthBeyondFile(path: long.path, headerLength: 1000,
                                                                    fileSize: 10)) {
                try SafetensorsFile(url: long)
            }

            // A real file cut short: the header survives, the last tensors' data does not.
            let cut = folder.appendingPathComponent("cut.safetensors")
            let whole = try Data(contentsOf: TestFiles.fixtures.appendingPathComponent("clip_openai_f16.safetensors"))
            try whole.prefix(whole.count - 1000).write(to: cut)
            let error = TestFiles.error { _ = try SafetensorsFile(url: cut) }
            guard case let .offsetsOutOfRange(path, tensor, _, _)? = error as? SafetensorsError else {
                Issue.record("expected offsetsOutOfRange, got \(String(describing: error))")
                return
            }
            #expect(path == cut.path && !tensor.isEmpty)
            #expect("\(error!)".contains(cut.path) && "\(error!)".contains(tensor))
        }
    }

    @Test("Headers that are not a JSON object of entries are rejected")
    func malformedHeaders() throws {
        try TemporaryDirectory.with("support-tests") { (folder: URL) throws in
            for (index, header) in ["[1, 2]", "{\"a\": ", "{\"a\": 3}", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}",
                                    "{\"a\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}",
                                    "{\"__metadata__\": {\"k\": 1}}"].enumerated() {
                let url = try TestFiles.writeRaw(folder, "bad\(index).safetensors", header: header, data: [0, 0, 0, 0])
                let error = TestFiles.error { _ = try SafetensorsFile(url: url) }
                guard case .invalidHeader(url.path, _)? = error as? SafetensorsError else {
                    Issue.record("header \(header): expected invalidHeader, got \(String(describing: error))")
                    continue
                }
            }
        }
    }

    @Test("Entries whose dtype, shape or offsets lie are rejected, naming the tensor")
    func lyingEntries() throws {
        try TemporaryDirectory.with("support-tests") { (folder: URL) throws in
            func open(_ header: String, dataBytes: Int) throws -> Error? {
                let url = try TestFiles.writeRaw(folder, "t.safetensors", header: header,
                                                 data: [UInt8](repeating: 0, count: dataBytes))
                return TestFiles.error { _ = try SafetensorsFile(url: url) }
            }
            let path = folder.appendingPathComponent("t.safetensors").path
            #expect(try open(#"{"w": {"dtype": "F17", "shape": [1], "data_offsets": [0, 4]}}"#,
                             dataBytes: 4) as? SafetensorsError
                    == .unknownDType(path: path, tensor: "w", dtype: "F17"))
            #expect(try open(#"{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#,
                             dataBytes: 4) as? SafetensorsError
                    == .invalidShape(path: path, tensor: "w", shape: [-1]))
            #expect(try open(#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#,
                             dataBytes: 4) as? SafetensorsError
                    == .offsetsOutOfRange(path: path, tensor: "w", offsets: [0, 8], dataSize: 4))
            #expect(try open(#"{"w": {"dtype": "F32", "shape": [0], "data_offsets": [4, 0]}}"#,
                             dataBytes: 4) as? SafetensorsError
                    == .offsetsOutOfRange(path: path, tensor: "w", offsets: [4, 0], dataSize: 4))
            #expect(try open(#"{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#,
                             dataBytes: 8) as? SafetensorsError
                    == .sizeMismatch(path: path, tensor: "w", dtype: "F32", shape: [3], expectedBytes: 12,
                                     foundBytes: 8))
            #expect(try open(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "#
                             + #""b": {"dtype": "F16", "shape": [4], "data_offsets": [4, 12]}}"#,
                             dataBytes: 12) as? SafetensorsError == .overlap(path: path, tensor: "b", other: "a"))
            #expect(try open(#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "#
                             + #""b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}"#,
                             dataBytes: 12) as? SafetensorsError == .unindexedBytes(path: path, range: 4..<8))
            #expect(try open(#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#,
                             dataBytes: 6) as? SafetensorsError
                    == .unindexedBytes(path: path, range: 4..<6))
            // A valid file: a scalar, an empty tensor and metadata with trailing header spaces.
            #expect(try open(#"{"__metadata__": {"format": "pt"}, "s": {"dtype": "I64", "shape": [], "#
                             + #""data_offsets": [0, 8]}, "#
                             + #""e": {"dtype": "F32", "shape": [0, 5], "data_offsets": [8, 8]}}   "#,
                             dataBytes: 8) == nil)
        }
    }

    @Test("Access errors name the file and the tensor")
    func accessErrors() throws {
        let url = TestFiles.fixtures.appendingPathComponent("clip_openai_f16.safetensors")
        let file = try SafetensorsFile(url: url)
        #expect(throws: SafetensorsError.missingTensor(path: url.path,
                                                       tensor: "visual.nope")) { try file.floats("visual.nope") }
        #expect(throws: SafetensorsError.unsupportedConversion(path: url.path, tensor: "logit_scale", dtype: "F16",
                                                               to: "Int64")) {
            try file.int64s("logit_scale")
        }
        let message = "\(SafetensorsError.missingTensor(path: url.path, tensor: "visual.nope"))"
        #expect(message.contains(url.path) && message.contains("visual.nope"))
    }

    @Test("MappedFile errors name the path; empty files map to nothing")
    func mappedFile() throws {
        #expect(throws: MappedFileError.cannotOpen(path: "/nonexistent/x",
                                                   errno: ENOENT)) { try MappedFile(path: "/nonexistent/x") }
        try TemporaryDirectory.with("support-tests") { (folder: URL) throws in
            #expect(throws: MappedFileError.notRegularFile(path: folder.path)) { try MappedFile(path: folder.path) }
            let empty = folder.appendingPathComponent("empty")
            try Data().write(to: empty)
            let mapped = try MappedFile(path: empty.path)
            #expect(mapped.count == 0 && mapped.bytes.isEmpty)
            #expect(throws: SafetensorsError.truncated(path: empty.path,
                                                       fileSize: 0)) { try SafetensorsFile(path: empty.path) }
        }
    }
}
