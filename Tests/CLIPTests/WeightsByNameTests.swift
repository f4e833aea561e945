import Foundation
import Testing
import TestSupport
@testable import CLIP

/// MODEL.BACKBONE.NAME without --weights: the places clip.load and the Hugging Face hub use.
@Suite("Weights by name")
struct WeightsByNameTests {
    func touch(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data([1]).write(to: url)
    }

    @Test("$COCOOP_CLIP_DIR, then ~/.cache/clip, then the hub's refs/main snapshot; file names as clip.load's")
    func order() throws {
        try TemporaryDirectory.with { home in
            let env = ["HOME": home.path, "COCOOP_CLIP_DIR": home.appendingPathComponent("mine").path]
            let hub = home.appendingPathComponent(".cache/huggingface/hub/models--openai--clip-vit-base-patch16")
            try touch(hub.appendingPathComponent("snapshots/aaa/pytorch_model.bin"))
            try touch(hub.appendingPathComponent("snapshots/bbb/model.safetensors"))
            try touch(hub.appendingPathComponent("refs/main"))
            try Data("bbb\n".utf8).write(to: hub.appendingPathComponent("refs/main"))
            #expect(try CLIPWeights.locate(modelNamed: "ViT-B/16", environment: env).lastPathComponent == "bbb")
            let cached = home.appendingPathComponent(".cache/clip/ViT-B-16.pt")
            try touch(cached)
            #expect(try CLIPWeights.locate(modelNamed: "ViT-B/16", environment: env) == cached)
            let mine = home.appendingPathComponent("mine/ViT-B-16.pt")
            try touch(mine)
            #expect(try CLIPWeights.locate(modelNamed: "ViT-B/16", environment: env) == mine)
            #expect(CLIPWeights.candidateLocations(forModelNamed: "ViT-L/14@336px", environment: env)[1]
                        .lastPathComponent == "ViT-L-14-336px.pt")
        }
    }

    @Test("Nothing found: the error lists every place looked, the hub only for the ViTs")
    func notFound() throws {
        try TemporaryDirectory.with { home in
            let env = ["HOME": home.path]
            let error = #expect(throws: CLIPWeightsError.self) {
                try CLIPWeights.locate(modelNamed: "ViT-B/32", environment: env)
            }
            guard case let .notFoundByName(name, looked)? = error else { return }
            #expect(name == "ViT-B/32")
            #expect(looked == [home.appendingPathComponent(".cache/clip/ViT-B-32.pt").path,
                               home.appendingPathComponent(".cache/huggingface/hub/models--openai--clip-vit-base-"
                                                           + "patch32/snapshots/*").path])
            #expect(CLIPWeights.candidateLocations(forModelNamed: "RN50", environment: env).map(\.lastPathComponent)
                        == ["RN50.pt"])
            #expect("\(error!)".contains("give --weights PATH"))
        }
    }
}
