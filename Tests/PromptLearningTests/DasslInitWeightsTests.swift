import Foundation
import Support
import Testing
import TestSupport
import TorchFormats
@testable import PromptLearning

/// MODEL.INIT_WEIGHTS from Dassl's checkpoint of a CoCoOp prompt learner, and the export
/// that writes one back.
@Suite("DasslInitWeights")
struct DasslInitWeightsTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torch/model.pth.tar-5")
    static let layout = ParameterLayout([
        ("ctx", [4, 8]), ("meta_net.linear1.weight", [2, 8]), ("meta_net.linear1.bias", [2]),
        ("meta_net.linear2.weight", [8, 2]), ("meta_net.linear2.bias", [8]),
    ])

    @Test("A torch-written model.pth.tar-N initialises every slot; token_prefix/token_suffix are ignored")
    func fromTorch() throws {
        let p = try CoOpParameterFile.load(Self.fixture, layout: Self.layout)
        let reference = try DasslCheckpoint(path: Self.fixture.path).stateDict
        for slot in Self.layout.slots {
            #expect(p[slot.name].array == (try reference.floats(slot.name)), "\(slot.name)")
        }
    }

    @Test("A slot missing or of another shape names the file and the tensor")
    func mismatch() throws {
        let wrong = ParameterLayout([("ctx", [16, 8])])
        #expect(throws: PromptError.badInitWeights(path: Self.fixture.path,
                                                   reason: "ctx has shape [4, 8], expected [16, 8]")) {
            try CoOpParameterFile.load(Self.fixture, layout: wrong)
        }
        let missing = ParameterLayout([("meta_net.linear3.bias", [2])])
        #expect(throws: PromptError.badInitWeights(path: Self.fixture.path,
                                                   reason: "no tensor named prompt_learner.meta_net.linear3.bias")) {
            try CoOpParameterFile.load(Self.fixture, layout: missing)
        }
    }

    @Test("writeDassl writes what load reads back, keys without the prompt_learner. prefix")
    func roundTrip() throws {
        try TemporaryDirectory.with { folder in
            let p = try CoOpParameterFile.load(Self.fixture, layout: Self.layout)
            let url = folder.appendingPathComponent("model.pth.tar-3")
            try CoOpParameterFile.writeDassl(p, epoch: 3, to: url)
            let written = try DasslCheckpoint(path: url.path)
            #expect(written.epoch == 3)
            #expect(written.stateDict.names == Self.layout.slots.map(\.name))
            let back = try CoOpParameterFile.load(url, layout: Self.layout)
            #expect(back.storage.array == p.storage.array)
        }
    }
}
