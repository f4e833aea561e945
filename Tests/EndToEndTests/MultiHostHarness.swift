import Foundation
import Testing
import TestSupport

/// Drives Cluster/multihost/netns.sh: network namespaces as hosts, mpirun across them.
enum MultiHost {
    static let script = Cocoop.packageRoot.appendingPathComponent("Cluster/multihost/netns.sh")

    /// Why the test bed cannot run here (not root, no `ip`, namespaces refused, or
    /// COCOOP_SKIP_MULTIHOST set), or nil.
    static let unavailableReason: String? = {
        if let v = ProcessInfo.processInfo.environment["COCOOP_SKIP_MULTIHOST"] { return "COCOOP_SKIP_MULTIHOST=\(v) is set" }
        guard let r = try? Cocoop.run(["check"], executable: script,
                                      environment: ["NETNS_PREFIX": "cmhchk\(getpid())"], timeout: 30) else {
            return "cannot run \(script.path)"
        }
        if r.status == 0 { return nil }
        let why = (r.stdout + r.stderr).trimmingCharacters(in: .whitespacesAndNewlines)
        return "network namespaces unavailable: \(why.isEmpty ? "netns.sh check exited \(r.status)" : why)"
    }()

    /// The skip reason for `.enabled(if:)`.
    static var skipComment: Comment { Comment(rawValue: "skipped: \(unavailableReason ?? "")") }

    /// A fresh namespace prefix for one test bed.
    static func prefix() -> String { "cmh\(UInt32.random(in: 0..<UInt32.max) % 100_000)" }

    static func environment(_ prefix: String, _ extra: [String: String]) -> [String: String] {
        ["NETNS_PREFIX": prefix, "NETNS_TMP": "/tmp/\(prefix)-netns", "OPENBLAS_NUM_THREADS": "1"].merging(extra) { $1 }
    }

    /// `netns.sh run HOSTS -s SLOTS -- MPIRUN_ARGS` in the package root.
    static func run(prefix: String, hosts: Int, slots: Int = 1, _ mpirunArgs: [String], environment: [String: String] = [:],
                    timeout: TimeInterval = 240) throws -> ProcessResult {
        try Cocoop.run(["run", "\(hosts)", "-s", "\(slots)", "--"] + mpirunArgs, executable: script,
                       environment: Self.environment(prefix, environment), directory: Cocoop.packageRoot, timeout: timeout)
    }

    /// The same in the background; output appended to `log`.
    static func launch(prefix: String, hosts: Int, _ mpirunArgs: [String], environment: [String: String], log: URL) throws -> Process {
        try Cocoop.start(script, ["run", "\(hosts)", "--"] + mpirunArgs, environment: Self.environment(prefix, environment),
                         directory: Cocoop.packageRoot, log: log)
    }

    /// Takes host `i`'s link down.
    static func cut(prefix: String, host i: Int) throws -> ProcessResult {
        try Cocoop.run(["cut", "\(i)"], executable: script, environment: Self.environment(prefix, [:]))
    }

    /// Removes the test bed (a safety net: `run` tears down by itself unless killed).
    static func down(prefix: String) {
        _ = try? Cocoop.run(["down"], executable: script, environment: Self.environment(prefix, [:]))
    }
}
