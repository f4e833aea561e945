import HDF5
import Checkpoint
import Foundation
import Testing
import TestSupport

/// The HDF5 wrapper: datasets of every kind and shape, attributes, groups, listing, errors.
@Suite("HDF5File")
struct HDF5FileTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory("cocoop-ckpt-tests") }

    @Test("Float datasets of any shape round-trip, including scalars, empty and multi-chunk arrays")
    func floats() throws {
        let path = dir.file("floats.h5").path
        let shapes: [[Int]] = [[], [1], [7], [3, 5], [2, 3, 4], [0, 3], [600, 1000]]
        let arrays = shapes.map { shape in (0..<shape.reduce(1, *)).map { Float($0) * 0.37 - 11 } }
        let file = try HDF5File.create(path)
        for (i, shape) in shapes.enumerated() { try file.write(arrays[i], shape: shape, to: "/a/b/t\(i)") }
        try file.close()

        let reader = try HDF5File.open(path)
        for (i, shape) in shapes.enumerated() {
            #expect(try reader.shape(of: "/a/b/t\(i)") == shape)
            #expect(try reader.readFloats("/a/b/t\(i)") == arrays[i])
            #expect(try reader.elementTypeName(of: "/a/b/t\(i)") == "float32")
        }
        // Reading into a slice of a larger buffer.
        var flat = [Float](repeating: -1, count: 20)
        try flat.withUnsafeMutableBufferPointer { buffer in
            try reader.read("/a/b/t3", into: UnsafeMutableBufferPointer(rebasing: buffer[2..<17]))
        }
        #expect(Array(flat[2..<17]) == arrays[3])
        #expect(flat[0] == -1 && flat[17] == -1)
    }

    @Test("Double, Int64 and string datasets round-trip")
    func otherTypes() throws {
        let path = dir.file("types.h5").path
        let file = try HDF5File.create(path)
        let doubles = [0.1, -2.5e300, .infinity, .leastNonzeroMagnitude]
        let ints: [Int64] = [.min, -1, 0, 42, .max]
        let strings = ["abyssinian", "american bulldog", "ünïcödé ✓ 猫", ""]
        try file.write(doubles, to: "/d")
        try file.write(ints, shape: [5, 1], to: "/g/i")
        try file.write(scalar: 2.75, to: "/s")
        try file.write(strings, to: "/names")
        try file.write([String](), to: "/no_names")
        try file.close()

        let reader = try HDF5File.open(path)
        #expect(try reader.readDoubles("/d") == doubles)
        #expect(try reader.readInt64s("/g/i") == ints)
        #expect(try reader.shape(of: "/g/i") == [5, 1])
        #expect(try reader.readDoubles("/s") == [2.75])
        #expect(try reader.shape(of: "/s") == [])
        #expect(try reader.readStrings("/names") == strings)
        #expect(try reader.readStrings("/no_names") == [])
        #expect(try reader.elementTypeName(of: "/names") == "string")
        #expect(try reader.elementTypeName(of: "/g/i") == "int64")
        // float64 data read as Float is converted by HDF5 (same class, other size).
        #expect(try reader.readFloats("/s") == [2.75])
    }

    @Test("Attributes (String, Int64, Double) on the root, groups and datasets; replacement; names")
    func attributes() throws {
        let path = dir.file("attrs.h5").path
        let file = try HDF5File.create(path)
        try file.createGroup("/x/y")
        try file.write([Float](arrayLiteral: 1, 2), to: "/x/y/data")
        try file.setAttribute("title", .string("prompt ✓ learning\nline 2"))
        try file.setAttribute("count", .int64(-7))
        try file.setAttribute("lr", .double(0.002))
        try file.setAttribute("count", .int64(8)) // replaces
        try file.setAttribute("kind", .string("group"), on: "/x/y")
        try file.setAttribute("scale", .double(-1.5), on: "/x/y/data")
        try file.setAttribute("empty", .string(""), on: "/x")
        try file.close()

        let reader = try HDF5File.open(path)
        #expect(try reader.attribute("title") == .string("prompt ✓ learning\nline 2"))
        #expect(try reader.attribute("count") == .int64(8))
        #expect(try reader.attribute("lr") == .double(0.002))
        #expect(try reader.attribute("kind", of: "/x/y") == .string("group"))
        #expect(try reader.attribute("scale", of: "/x/y/data") == .double(-1.5))
        #expect(try reader.attribute("empty", of: "/x") == .string(""))
        #expect(try reader.attribute("absent") == nil)
        #expect(try reader.attributeNames() == ["count", "lr", "title"])
        #expect(try reader.attributeNames(of: "/x/y/data") == ["scale"])
    }

    @Test("Groups: intermediate creation, kinds, existence and listing in name order")
    func groups() throws {
        let file = try HDF5File.create(dir.file("groups.h5").path)
        try file.createGroup("/p/q/r")
        try file.createGroup("/p/q/r") // existing: fine
        try file.write([Float](arrayLiteral: 1), to: "/p/b")
        try file.write([Float](arrayLiteral: 1), to: "p/a") // relative = from the root
        #expect(try file.kind(of: "/") == .group)
        #expect(try file.kind(of: "/p/q") == .group)
        #expect(try file.kind(of: "/p/a") == .dataset)
        #expect(try file.kind(of: "/p/zz") == nil)
        #expect(try file.kind(of: "/nothing/below") == nil)
        #expect(try file.exists("/p/q/r"))
        #expect(try file.children(of: "/p") == ["a", "b", "q"])
        #expect(try file.children() == ["p"])
        #expect(throws: HDF5Error.typeMismatch(file: file.path, object: "/p/a", expected: "a group",
                                               found: "a dataset")) {
            try file.createGroup("/p/a")
        }
    }

    @Test("Errors name the file and the object")
    func errors() throws {
        let path = dir.file("errors.h5").path
        let file = try HDF5File.create(path)
        try file.write([Int64](arrayLiteral: 1, 2), to: "/ints")
        #expect(throws: HDF5Error.notFound(file: path, object: "/missing")) { try file.readFloats("/missing") }
        #expect(throws: HDF5Error.typeMismatch(file: path, object: "/ints", expected: "float32", found: "int64")) {
            try file.readFloats("/ints")
        }
        #expect(throws: HDF5Error.shapeMismatch(file: path, object: "/bad", shape: [2, 2], valueCount: 3)) {
            try file.write([Float](arrayLiteral: 1, 2, 3), shape: [2, 2], to: "/bad")
        }
        #expect(throws: HDF5Error.self) { try file.write([Float](arrayLiteral: 1), to: "/a/../b") }
        #expect(throws: HDF5Error.self) { try file.write([Float](arrayLiteral: 1), to: "") }
        // Writing a dataset twice: HDF5's own message, with routine, file and object.
        do {
            try file.write([Float](arrayLiteral: 1), to: "/ints")
            Issue.record("second write to /ints succeeded")
        } catch let error as HDF5Error {
            guard case let .callFailed(routine, f, object, detail) = error else {
                Issue.record("unexpected \(error)"); return
            }
            #expect(routine == "H5Dcreate2" && f == path && object == "/ints")
            #expect(detail.contains("already exists"), "\(detail)")
        }
        try file.close()
        try file.close() // idempotent
        #expect(throws: HDF5Error.self) { try file.readInt64s("/ints") }

        let missing = dir.file("nope.h5").path
        #expect(throws: HDF5Error.callFailed(routine: "H5Fopen", file: missing, object: nil, detail: "no such file")) {
            try HDF5File.open(missing)
        }
        let notHDF5 = dir.file("text.h5")
        try "hello".write(to: notHDF5, atomically: true, encoding: .utf8)
        do {
            _ = try HDF5File.open(notHDF5.path)
            Issue.record("opened a text file as HDF5")
        } catch let error as HDF5Error {
            #expect(error.description.contains("H5Fopen failed on \(notHDF5.path)"), "\(error)")
        }
    }

    @Test("A flipped byte in chunked float data fails the read with a Fletcher-32 error")
    func fletcher() throws {
        let url = dir.file("fletcher.h5")
        let values = (0..<512).map { Float($0) * 1.25 + 1000.5 }
        let file = try HDF5File.create(url.path)
        try file.write(values, shape: [16, 32], to: "/w")
        try file.close()
        let hits = try offsets(of: littleEndianBytes(Array(values[0..<4])), in: url)
        try #require(hits.count == 1)
        try flipByte(in: url, at: hits[0] + 1000)
        let reader = try HDF5File.open(url.path)
        #expect(try reader.shape(of: "/w") == [16, 32]) // metadata is intact
        do {
            _ = try reader.readFloats("/w")
            Issue.record("corrupt data read without error")
        } catch let HDF5Error.callFailed(routine, file, object, detail) {
            #expect(routine == "H5Dread" && file == url.path && object == "/w")
            #expect(detail.lowercased().contains("fletcher32"), "\(detail)")
        }
    }

    @Test("Open files are close-on-exec, so child processes do not inherit them")
    func closeOnExec() throws {
        let path = dir.file("cloexec.h5").path
        let file = try HDF5File.create(path)
        defer { try? file.close() }
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
        let mine = fds.filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path
        }
        try #require(mine.count == 1, "descriptors for \(path): \(mine)")
        let info = try String(contentsOfFile: "/proc/self/fdinfo/\(mine[0])", encoding: .utf8)
        let flagsLine = try #require(info.split(separator: "\n").first { $0.hasPrefix("flags:") })
        let octal = flagsLine.dropFirst("flags:".count).trimmingCharacters(in: .whitespaces)
        let flags = try #require(Int(octal, radix: 8))
        #expect(flags & 0o2000000 != 0, "O_CLOEXEC missing: \(flagsLine)")
    }
}
