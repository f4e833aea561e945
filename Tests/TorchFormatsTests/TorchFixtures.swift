import Foundation
@testable import TorchFormats

/// Tests/Fixtures/torch: files written by PyTorch itself (Scripts/gen_torch_fixtures.py) and
/// expected.json, what torch.load / torch.jit.load(...).state_dict() found in each.
enum TorchFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torch")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    struct Entry: Decodable {
        var shape: [Int]
        var values: [Float]
    }

    /// file name -> (tensor name -> entry).
    static let expected: [String: [String: Entry]] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("expected.json"))
        return try! JSONDecoder().decode([String: [String: Entry]].self, from: data)
    }()

    /// A hand-made pickle stream: PROTO 2, `body`, STOP.
    static func pickle(_ body: [UInt8]) -> [UInt8] { [0x80, 2] + body + [UInt8(ascii: ".")] }

    /// `GLOBAL module\nname\n`.
    static func global(_ module: String, _ name: String) -> [UInt8] {
        [UInt8(ascii: "c")] + Array("\(module)\n\(name)\n".utf8)
    }

    /// A torch.save-style archive with `data.pkl` = `pickle` and the given storages.
    static func archive(pickle: [UInt8], storages: [[UInt8]] = [], at url: URL) throws {
        var zip = ZipWriter()
        try zip.add("archive/data.pkl", pickle, path: url.path)
        for (i, s) in storages.enumerated() { try zip.add("archive/data/\(i)", s, path: url.path) }
        try Data(zip.finished()).write(to: url)
    }

    /// A `_rebuild_tensor_v2` call on storage 0 (`numel` elements of `storageClass`) with
    /// the given sizes and strides, as raw pickle bytes.
    static func tensorCall(storageClass: String = "FloatStorage", numel: Int, sizes: [Int], strides: [Int],
                           offset: Int = 0) -> [UInt8] {
        func int(_ n: Int) -> [UInt8] { [0x8a, 8] + withUnsafeBytes(of: Int64(n).littleEndian) { Array($0) } }
        func str(_ s: String) -> [UInt8] {
            [UInt8(ascii: "X")] + withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian) { Array($0) } + Array(s.utf8)
        }
        let mark = UInt8(ascii: "("), tuple = UInt8(ascii: "t")
        var b = global("torch._utils", "_rebuild_tensor_v2") + [mark, mark] + str("storage")
        b += global("torch", storageClass) + str("0") + str("cpu") + int(numel) + [tuple, UInt8(ascii: "Q")]
        b += int(offset) + [mark] + sizes.flatMap(int) + [tuple, mark] + strides.flatMap(int) + [tuple]
        b += [0x89, UInt8(ascii: ")"), tuple, UInt8(ascii: "R")]
        return b
    }
}
