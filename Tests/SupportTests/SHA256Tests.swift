import Foundation
import Testing
import TestSupport
@testable import Support

@Suite("SHA256")
struct SHA256Tests {
    // MARK: - FIPS 180-4 / NIST example vectors

    @Test("Known vectors: empty, abc, 448-bit and 896-bit messages")
    func knownVectors() {
        #expect(SHA256.hexDigest(of: "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let long = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
            + "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        #expect(SHA256.hexDigest(of: long) == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test("One million 'a', in one piece and in ragged pieces")
    func millionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(SHA256.hexDigest(of: message) == expected)
        var hasher = SHA256()
        var offset = 0
        let pieces = [1, 63, 64, 65, 0, 127, 128, 129, 1000, 4096, 55, 56, 57]
        var i = 0
        message.withUnsafeBytes { all in
            while offset < all.count {
                let n = min(pieces[i % pieces.count], all.count - offset)
                hasher.update(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + n)]))
                offset += n
                i += 1
            }
        }
        #expect(hasher.hexDigest() == expected)
    }

    @Test("finalize leaves the hasher usable")
    func finalizeIsNonDestructive() {
        var hasher = SHA256()
        hasher.update("ab")
        #expect(hasher.hexDigest() == SHA256.hexDigest(of: "ab"))
        hasher.update("c")
        #expect(hasher.hexDigest() == SHA256.hexDigest(of: "abc"))
    }

    // MARK: - Against sha256sum

    @Test("Padding boundaries agree with sha256sum")
    func boundariesAgreeWithSha256sum() throws {
        let lengths = [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000]
        try TemporaryDirectory.with("support-tests") { (folder: URL) throws in
            var state: UInt64 = 0x1234_5678
            var paths: [String] = []
            var ours: [String] = []
            for n in lengths {
                let bytes = (0..<n).map { _ -> UInt8 in
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    return UInt8(truncatingIfNeeded: state >> 56)
                }
                let url = folder.appendingPathComponent("m\(n)")
                try Data(bytes).write(to: url)
                paths.append(url.path)
                ours.append(SHA256.hexDigest(of: bytes))
            }
            let theirs = try sha256sum(paths)
            #expect(theirs == ours)
        }
    }

    @Test("Fixture files: sha256sum and the manifest agree with ours")
    func fixtureFiles() throws {
        let f16 = TestFiles.fixtures.appendingPathComponent("clip_openai_f16.safetensors").path
        let config = TestFiles.fixtures.appendingPathComponent("clip_hf/config.json").path
        let ours = [try SHA256.hexDigest(ofFileAt: f16), try SHA256.hexDigest(ofFileAt: config)]
        #expect(try sha256sum([f16, config]) == ours)
        let manifest = try JSONSerialization.jsonObject(
            with: Data(contentsOf: TestFiles.fixtures.appendingPathComponent("manifest.json"))) as? [String: Any]
        let files = try #require(manifest?["files"] as? [[String: Any]])
        let recorded = Dictionary(uniqueKeysWithValues: files.compactMap { file -> (String, String)? in
            guard let path = file["path"] as? String, let sha = file["sha256"] as? String else { return nil }
            return (path, sha)
        })
        #expect(recorded["clip_openai_f16.safetensors"] == ours[0])
        #expect(recorded["clip_hf/config.json"] == ours[1])
    }

    @Test("A missing file is an error naming the path")
    func missingFile() {
        let error = TestFiles.error { _ = try SHA256.hexDigest(ofFileAt: "/nonexistent/weights.bin") }
        #expect("\(error.map { "\($0)" } ?? "")".contains("/nonexistent/weights.bin"))
    }

    /// Digests computed by the system's `sha256sum`, in the order of `paths`.
    private func sha256sum(_ paths: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum"] + paths
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map { String($0.prefix(64)) }
    }
}
