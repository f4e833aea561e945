import Foundation

/// A fresh temporary folder for one test.
func temporaryFolder(_ name: String = #function) throws -> URL {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("cocoop-training-tests-\(name.filter { $0.isLetter })-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// Writes `text` to a file named `name` in a fresh temporary folder.
func writeTemporaryFile(_ text: String, name: String, function: String = #function) throws -> URL {
    let url = try temporaryFolder(function).appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
}
