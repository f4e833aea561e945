import Foundation
import Testing

/// Runs `body` in Python after `acc = EventAccumulator(folder); acc.Reload()` and returns
/// its output; records a failure (never a silent pass) when python3 or tensorboard is missing.
public func runEventAccumulator(folder: URL, body: String,
                                sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    let script = """
    import sys
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError as error:
        print("MISSING", error)
        sys.exit(3)
    acc = EventAccumulator(sys.argv[1])
    acc.Reload()

    """ + body
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, folder.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do {
        try process.run()
    } catch {
        let message = "this test needs python3 with TensorBoard: install Python 3, then "
            + "`python3 -m pip install tensorboard` (\(error))"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        return nil
    }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    switch process.terminationStatus {
    case 0:
        return output
    case 3, 127:
        Issue.record("this test needs python3 with TensorBoard: run `python3 -m pip install tensorboard`\n\(output)",
                     sourceLocation: sourceLocation)
    default:
        Issue.record("python3 failed (status \(process.terminationStatus)):\n\(output)", sourceLocation: sourceLocation)
    }
    return nil
}
