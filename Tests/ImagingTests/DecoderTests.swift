import Foundation
import Testing
import TestSupport
@testable import Imaging

// MARK: - Helpers

/// The fixture file's bytes.
func fixtureBytes(_ name: String) throws -> [UInt8] {
    let url = FixturePaths.preprocess.appendingPathComponent(name)
    return [UInt8](try Data(contentsOf: url))
}

/// Decodes `bytes` written to a file named `name` and returns the error thrown.
func decodingError(_ bytes: [UInt8], fileName name: String) throws -> ImagingError? {
    let directory = try TemporaryDirectory.create("imaging-tests")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    do {
        _ = try ImageDecoder.decode(fileAt: url)
        return nil
    } catch let error as ImagingError {
        #expect(error.path == url.path)
        #expect(error.description.contains(url.path), "message must name the file: \(error)")
        return error
    }
}

// MARK: - Errors

@Suite("Imaging: decoding errors name the file")
struct DecoderErrorTests {
    @Test("missing file")
    func missingFile() throws {
        let path = "/nonexistent-dir/no-such-image.jpg"
        #expect {
            _ = try ImageDecoder.decode(fileAt: URL(fileURLWithPath: path))
        } throws: { error in
            guard let error = error as? ImagingError, case let .unreadable(p, reason) = error else { return false }
            return p == path && reason == "no such file" && error.description.contains(path)
        }
    }

    @Test("a directory is not an image")
    func directory() throws {
        let directory = try TemporaryDirectory.create("imaging-tests")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: ImagingError.self) { _ = try ImageDecoder.decode(fileAt: directory) }
    }

    @Test("garbage bytes")
    func garbage() throws {
        let error = try decodingError(Array("this is not an image at all".utf8), fileName: "garbage.jpg")
        guard case .unsupportedFormat(_, let detected)? = error else {
            Issue.record("expected unsupportedFormat, got \(String(describing: error))")
            return
        }
        #expect(detected.contains("74 68 69 73")) // "this"
    }

    @Test("empty file")
    func empty() throws {
        let error = try decodingError([], fileName: "empty.png")
        guard case .unsupportedFormat? = error else {
            Issue.record("expected unsupportedFormat, got \(String(describing: error))")
            return
        }
    }

    @Test("GIF is named as unsupported")
    func gif() throws {
        let error = try decodingError(Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 20), fileName: "a.gif")
        #expect(error == .unsupportedFormat(path: error?.path ?? "", detected: "GIF"))
    }

    @Test("truncated PNG", arguments: [0.5, 0.9, 0.02])
    func truncatedPNG(fraction: Double) throws {
        let bytes = try fixtureBytes("bunny_01.png")
        let error = try decodingError(Array(bytes.prefix(Int(Double(bytes.count) * fraction))), fileName: "cut.png")
        guard case .truncated(_, "PNG", _)? = error else {
            Issue.record("expected truncated PNG, got \(String(describing: error))")
            return
        }
    }

    @Test("PNG with a damaged data chunk")
    func corruptPNG() throws {
        var bytes = try fixtureBytes("dog_04_drawn_with_strai_01.png")
        for i in stride(from: bytes.count / 2, to: bytes.count / 2 + 64, by: 1) { bytes[i] ^= 0x5A }
        let error = try decodingError(bytes, fileName: "damaged.png")
        guard case .corrupt(_, "PNG", _)? = error else {
            Issue.record("expected corrupt PNG, got \(String(describing: error))")
            return
        }
    }

    @Test("truncated JPEG", arguments: [0.6, 0.95])
    func truncatedJPEG(fraction: Double) throws {
        let bytes = try fixtureBytes("chelsea_q90.jpg")
        let error = try decodingError(Array(bytes.prefix(Int(Double(bytes.count) * fraction))), fileName: "cut.jpg")
        guard case .truncated(_, "JPEG", _)? = error else {
            Issue.record("expected truncated JPEG, got \(String(describing: error))")
            return
        }
    }

    @Test("JPEG header only")
    func jpegHeaderOnly() throws {
        let bytes = try fixtureBytes("chelsea_q90.jpg")
        let error = try decodingError(Array(bytes.prefix(40)), fileName: "header.jpg")
        guard case .truncated(_, "JPEG", _)? = error else {
            Issue.record("expected truncated JPEG, got \(String(describing: error))")
            return
        }
    }

    @Test("JPEG with garbage after the markers")
    func corruptJPEG() throws {
        let error = try decodingError([0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0x17, count: 500), fileName: "bad.jpg")
        #expect(error != nil)
    }

    @Test("JPEG warnings that Pillow tolerates (extraneous bytes before EOI) still decode")
    func jpegWarningAccepted() throws {
        let bytes = try fixtureBytes("chelsea_q90.jpg")
        #expect(bytes.suffix(2) == [0xFF, 0xD9])
        let padded = Array(bytes.dropLast(2)) + [UInt8](repeating: 0x12, count: 300) + [0xFF, 0xD9]
        let image = try ImageDecoder.decode(data: padded, name: "padded.jpg")
        let clean = try ImageDecoder.decode(data: bytes, name: "clean.jpg")
        #expect(imageMismatch(image, clean) == nil)
        // Trailing data after EOI is ignored as well.
        #expect(imageMismatch(try ImageDecoder.decode(data: bytes + [0, 1, 2, 3], name: "trailing.jpg"), clean) == nil)
    }

    @Test("format comes from the bytes, not the extension")
    func magicNotExtension() throws {
        let directory = try TemporaryDirectory.create("imaging-tests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("actually_a_png.JPEG")
        try Data(try fixtureBytes("bunny_01.png")).write(to: url)
        let image = try ImageDecoder.decode(fileAt: url)
        let direct = try ImageDecoder.decode(fileAt: FixturePaths.preprocess.appendingPathComponent("bunny_01.png"))
        #expect(imageMismatch(image, direct) == nil)
    }

    @Test("in-memory decoding names the given name")
    func inMemoryName() {
        #expect {
            _ = try ImageDecoder.decode(data: [UInt8]([1, 2, 3]), name: "memory://x")
        } throws: { ($0 as? ImagingError)?.description.contains("memory://x") ?? false }
    }
}
