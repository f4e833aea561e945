import Foundation
import TestSupport

/// A fresh temporary folder for one test (the test removes it).
func temporaryFolder() throws -> URL { try TemporaryDirectory.create("cocoop-training-tests") }

/// Writes `text` to a file named `name` in a fresh temporary folder.
func writeTemporaryFile(_ text: String, name: String) throws -> URL {
    let url = try temporaryFolder().appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
}
