// cocoop-fuzz: the fuzz harness.
//
//   COCOOP_FUZZ_TARGET=NAME cocoop-fuzz [libFuzzer flags] [CORPUS_DIR...]   fuzz (Scripts/fuzz.sh's build)
//   cocoop-fuzz NAME FILE...                                replay, one line per file (the normal build)
//
// Scripts/fuzz.sh builds it with -sanitize=fuzzer,address and -DFUZZING: libFuzzer's own main
// drives LLVMFuzzerTestOneInput. A target that throws has refused the input, which is fine;
// a crash, a sanitizer report or a hang is a bug.
import Foundation

/// The target of this process and how one input goes through it.
enum FuzzRun {
    nonisolated(unsafe) static var selected: FuzzTarget?

    static func target(named name: String?) -> FuzzTarget {
        guard let name, let target = FuzzTarget.all.first(where: { $0.name == name }) else {
            let names = FuzzTarget.all.map(\.name).joined(separator: " ")
            let message = "cocoop-fuzz: unknown target '\(name ?? "")'; targets: \(names)\n"
            FileHandle.standardError.write(Data(message.utf8))
            exit(2)
        }
        return target
    }

    /// Runs one input through the selected target; refusals (thrown errors) are expected.
    static func runOne(_ bytes: UnsafeRawBufferPointer) -> String {
        do {
            try selected!.run(bytes)
            return "accepted"
        } catch {
            return "refused: \(error)"
        }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if FuzzRun.selected == nil {
        FuzzRun.selected = FuzzRun.target(named: ProcessInfo.processInfo.environment["COCOOP_FUZZ_TARGET"])
    }
    _ = FuzzRun.runOne(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
/// Replays files through a target (the regression tests run Tests/Fuzz/regressions this way).
@main
enum FuzzReplay {
    static func main() {
        let arguments = CommandLine.arguments
        FuzzRun.selected = FuzzRun.target(named: arguments.count >= 2 ? arguments[1] : nil)
        var failed = false
        for path in arguments.dropFirst(2) {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): cannot read")
                failed = true
                continue
            }
            print("\(path): \(data.withUnsafeBytes { FuzzRun.runOne($0) })")
        }
        exit(failed ? 1 : 0)
    }
}
#endif
