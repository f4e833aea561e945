import Foundation
import Testing
import TestSupport
@testable import Config

/// The package root (Tests/ConfigTests/<file> -> ../..).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// The shipped CoOp configuration files.
let configsFolder = packageRoot.appendingPathComponent("Configs")

/// A fresh temporary folder for one test, named after it and kept (for a post-mortem).
func temporaryFolder(_ name: String = #function) throws -> URL {
    try TemporaryDirectory.create("cocoop-config-tests-\(ProcessInfo.processInfo.processIdentifier)/"
                                  + name.filter { $0.isLetter || $0.isNumber })
}

/// Writes text to a file in a temporary folder and returns its URL.
func writeTemporaryFile(_ text: String, name: String = "config.yaml", function: String = #function) throws -> URL {
    let url = try temporaryFolder(function).appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
}

/// Runs `body` and returns the `ConfigError` it throws (records an issue if it throws
/// nothing or something else).
func configError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> ConfigError? {
    do {
        try body()
        Issue.record("expected a ConfigError, but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        Issue.record("expected a ConfigError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
