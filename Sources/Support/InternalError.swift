/// A broken invariant of cocoop itself, never the user's input: reported as a bug, apart
/// from the errors that name a bad file, key or tensor.
public struct InternalError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let file: String
    public let line: Int

    /// An invariant breach described by `message`, at the caller's source location.
    public init(_ message: String, file: String = #fileID, line: Int = #line) {
        self.message = message; self.file = file; self.line = line
    }

    public var description: String {
        "internal error at \(file):\(line): \(message) (a bug in cocoop; please report it)"
    }
}
