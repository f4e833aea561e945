import Foundation

// MARK: - TemporaryDirectory

/// A fresh folder under the system's temporary directory, removed when the object goes away.
///
/// `create(_:)` makes one that the caller removes (or keeps for a post-mortem) and
/// `with(_:_:)` one that lives for the duration of a closure.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The folder.
    public let url: URL

    /// Creates `<tmp>/<label>-<UUID>`.
    public init(_ label: String = "cocoop-tests") throws {
        url = try Self.create(label)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// A path inside the folder.
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Creates `<tmp>/<label>-<UUID>` (a `/` in `label` makes intermediate folders) and
    /// returns it; nothing removes it.
    public static func create(_ label: String = "cocoop-tests") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)",
                                                                                isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `body` with a fresh folder that is removed afterwards.
    public static func with<T>(_ label: String = "cocoop-tests", _ body: (URL) throws -> T) throws -> T {
        let folder = try TemporaryDirectory(label)
        return try withExtendedLifetime(folder) { try body(folder.url) }
    }
}
