import Foundation

// Weights by model name, found where OpenAI's clip.load and the Hugging Face hub keep them.
extension CLIPWeights {
    /// The Hugging Face repositories of OpenAI's ViTs (transformers has no ResNet CLIP).
    static let huggingFaceRepositories = [
        "ViT-B/32": "openai/clip-vit-base-patch32", "ViT-B/16": "openai/clip-vit-base-patch16",
        "ViT-L/14": "openai/clip-vit-large-patch14", "ViT-L/14@336px": "openai/clip-vit-large-patch14-336",
    ]

    /// The places tried for the model `name` (MODEL.BACKBONE.NAME, e.g. `ViT-B/16`), in order:
    /// `$COCOOP_CLIP_DIR/<file>`, then clip.load's `~/.cache/clip/<file>` (`<file>` is the name
    /// with `/` and `@` as `-`, plus `.pt`: `ViT-B-16.pt`, `ViT-L-14-336px.pt`), then for the
    /// ViTs the Hugging Face hub cache (`$HF_HUB_CACHE`, `$HF_HOME/hub` or
    /// `~/.cache/huggingface/hub`) `models--openai--clip-vit-base-patch16/snapshots/<commit>/`,
    /// the commit of `refs/main` first, then the others.
    public static func candidateLocations(forModelNamed name: String,
                                          environment: [String: String] = ProcessInfo.processInfo.environment)
        -> [URL] {
        let home = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory())
        let file = name.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: "@", with: "-") + ".pt"
        var places: [URL] = []
        if let dir = environment["COCOOP_CLIP_DIR"], !dir.isEmpty {
            places.append(URL(fileURLWithPath: dir).appendingPathComponent(file))
        }
        places.append(home.appendingPathComponent(".cache/clip").appendingPathComponent(file))
        guard let repository = huggingFaceRepositories[name] else { return places }
        let hub = environment["HF_HUB_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? environment["HF_HOME"].map { URL(fileURLWithPath: $0).appendingPathComponent("hub") }
            ?? home.appendingPathComponent(".cache/huggingface/hub")
        let model = hub.appendingPathComponent("models--" + repository.replacingOccurrences(of: "/", with: "--"))
        let snapshots = model.appendingPathComponent("snapshots")
        var commits = ((try? FileManager.default.contentsOfDirectory(atPath: snapshots.path)) ?? []).sorted()
        if let main = try? String(contentsOf: model.appendingPathComponent("refs/main"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), let i = commits.firstIndex(of: main) {
            commits.insert(commits.remove(at: i), at: 0)
        }
        places += commits.map { snapshots.appendingPathComponent($0) }
        if commits.isEmpty { places.append(snapshots.appendingPathComponent("*")) }  // for the error message
        return places
    }

    /// The first of ``candidateLocations(forModelNamed:environment:)`` that holds weights: a
    /// file that exists, or a snapshot folder with model.safetensors or pytorch_model.bin.
    /// - Throws: ``CLIPWeightsError/notFoundByName(name:looked:)`` listing every place looked.
    public static func locate(modelNamed name: String,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let places = candidateLocations(forModelNamed: name, environment: environment)
        let manager = FileManager.default
        for place in places {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: place.path, isDirectory: &isDirectory) else { continue }
            if !isDirectory.boolValue { return place }
            let files = ["model.safetensors", "pytorch_model.bin"].map { place.appendingPathComponent($0).path }
            if files.contains(where: manager.fileExists) { return place }
        }
        throw CLIPWeightsError.notFoundByName(name: name, looked: places.map(\.path))
    }
}
