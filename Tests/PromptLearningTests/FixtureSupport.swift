import Foundation
import Testing
import CLIP
import Support
import Tensor

/// Where the reference fixtures live: small copies in Tests/Fixtures, the float32 tiny
/// CLIP weights in ../shared/fixtures beside the package (as CI has them).
enum Fixtures {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let shared = tests.deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures")

    nonisolated(unsafe) private static var cachedModel: CLIPModel?
    private static let lock = NSLock()

    /// The tiny CLIP of the fixtures (OpenAI names, float32).
    static func model() throws -> CLIPModel {
        lock.lock(); defer { lock.unlock() }
        if let m = cachedModel { return m }
        let m = try CLIPModel(contentsOf: shared.appendingPathComponent("clip_openai.safetensors"))
        cachedModel = m
        return m
    }

    static func file(_ relative: String) throws -> SafetensorsFile {
        try SafetensorsFile(path: tests.appendingPathComponent(relative).path)
    }

    static func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: tests.appendingPathComponent(relative))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
}

extension SafetensorsFile {
    /// A float32 tensor of the array called `name` (converted from any float dtype).
    func tensor(_ name: String) throws -> Tensor {
        Tensor(shape: try shape(name), values: try floats(name))
    }
}
