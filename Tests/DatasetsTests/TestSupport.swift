import Foundation
import Testing
import TestSupport
@testable import Datasets

/// Tests/Fixtures/datasets, found from this file's path.
let datasetFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").appendingPathComponent("datasets")

/// Files the dataset tests write into a temporary folder.
extension TemporaryDirectory {
    /// Writes `text` at `relative` (creating folders); returns the file URL.
    @discardableResult
    func write(_ relative: String, _ text: String = "x") throws -> URL {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file
    }

    /// Creates an empty placeholder image at each relative path.
    func touch(_ relatives: [String]) throws {
        for r in relatives { try write(r, "img") }
    }

    /// Writes a split file `{"train": ..., "val": ..., "test": ...}` of (path, label, name).
    @discardableResult
    func writeSplit(_ relative: String, train: [(String, Int, String)], val: [(String, Int, String)],
                    test: [(String, Int, String)]) throws -> URL {
        func list(_ items: [(String, Int, String)]) -> String {
            "[" + items.map { "[\"\($0.0)\", \($0.1), \"\($0.2)\"]" }.joined(separator: ", ") + "]"
        }
        return try write(relative, "{\"train\": \(list(train)), \"val\": \(list(val)), \"test\": \(list(test))}")
    }
}

/// Runs `body`, expecting a `DatasetError`; returns it (nil and a recorded issue otherwise).
func expectDatasetError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DatasetError? {
    do {
        try body()
        Issue.record("expected a DatasetError, got success", sourceLocation: sourceLocation)
    } catch let e as DatasetError {
        return e
    } catch {
        Issue.record("expected a DatasetError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
