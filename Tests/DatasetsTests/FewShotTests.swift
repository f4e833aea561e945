import Foundation
import Testing
@testable import Datasets

@Suite("Few-shot subsets and base/new as CoOp draws them")
struct FewShotTests {
    let fixture: PythonFixture.FewShotFixture

    init() throws { fixture = try PythonFixture.load().fewshot }

    /// Synthetic items whose image path encodes their index in the list.
    func items(_ labels: [Int], split: String) -> [Datum] {
        labels.enumerated().map {
            Datum(imagePath: "/data/\(split)/\($0.offset).jpg", label: $0.element, classname: "class_\($0.element)")
        }
    }

    func index(_ d: Datum) -> Int { Int(URL(fileURLWithPath: d.imagePath).deletingPathExtension().lastPathComponent)! }

    @Test func groupsInOrderOfFirstAppearance() {
        let groups = FewShot.groupByLabel(items([3, 1, 3, 0, 1, 2], split: "t"))
        #expect(groups.map(\.label) == [3, 1, 0, 2])
        #expect(groups[0].items.map(index) == [0, 2])
    }

    @Test func subsetsEqualPythonItemForItem() {
        let train = items(fixture.train_labels, split: "train"), val = items(fixture.val_labels, split: "val")
        #expect(fixture.cases.count == 20)
        for c in fixture.cases {
            let (t, v) = FewShot.drawCoOp(train: train, val: val, numShots: c.num_shots, seed: c.seed)
            #expect(t.map(index) == c.train, "seed \(c.seed) shots \(c.num_shots) train")
            #expect(v.map(index) == c.val, "seed \(c.seed) shots \(c.num_shots) val")
        }
    }

    @Test func baseAndNewEqualPython() throws {
        let train = items(fixture.train_labels, split: "train"), val = items(fixture.val_labels, split: "val")
        let classnames = (0..<9).map { "class_\($0)" }
        for c in fixture.cases {
            let (t, v) = FewShot.drawCoOp(train: train, val: val, numShots: c.num_shots, seed: c.seed)
            let splits = DatasetSplits(name: "synthetic", datasetDirectory: URL(fileURLWithPath: "/data"),
                                       imageRoot: URL(fileURLWithPath: "/data"), train: t, val: v, test: [],
                                       classnames: classnames)
            for which in ["base", "new"] {
                let expected = try #require(c.subsample[which])
                let s = splits.subsampled(try ClassSubset(parsing: which))
                #expect(s.train.map { [index($0), $0.label] } == expected.train.map { [$0.index, $0.label] },
                        "seed \(c.seed) \(which)")
                #expect(s.val.map { [index($0), $0.label] } == expected.val.map { [$0.index, $0.label] },
                        "seed \(c.seed) \(which)")
                // Class names follow the relabelling; every item keeps its original name.
                for d in s.train + s.val { #expect(s.classnames[d.label] == d.classname) }
            }
        }
    }

    @Test func repeatUsesChoices() {
        let train = items(fixture.train_labels, split: "train")
        for c in fixture.repeat_cases {
            var rng = PythonRandom(seed: c.seed)
            #expect(FewShot.draw(train, numShots: c.num_shots, repeat: true, rng: &rng).map(index) == c.train)
        }
    }

    @Test func noShotsKeepsEverythingAndDrawsNothing() {
        let train = items([0, 1, 1], split: "t")
        var rng = PythonRandom(seed: 1), fresh = PythonRandom(seed: 1)
        #expect(FewShot.draw(train, numShots: -1, rng: &rng) == train)
        #expect(rng.random() == fresh.random())
    }

    @Test func subsampleRule() {
        // 5 labels present (0, 2, 4, 6, 8): base = first ceil(5/2) = 3, new = the other 2.
        let train = [8, 0, 2, 6, 4, 2].enumerated().map {
            Datum(imagePath: "/\($0.offset)", label: $0.element, classname: "c\($0.element)")
        }
        let test = (0..<10).map { Datum(imagePath: "/t\($0)", label: $0, classname: "c\($0)") }
        let s = DatasetSplits(name: "x", datasetDirectory: URL(fileURLWithPath: "/"),
                              imageRoot: URL(fileURLWithPath: "/"),
                              train: train, val: [], test: test, classnames: (0..<10).map { "c\($0)" })
        let base = s.subsampled(.base), new = s.subsampled(.new)
        #expect(base.classnames == ["c0", "c2", "c4"])
        #expect(base.train.map(\.label) == [0, 1, 2, 1])
        #expect(base.test.map(\.imagePath) == ["/t0", "/t2", "/t4"])
        #expect(new.classnames == ["c6", "c8"])
        #expect(new.train.map(\.label) == [1, 0])
        #expect(new.test.map(\.label) == [0, 1])
        #expect(s.subsampled(.all).train == train)
    }
}
