import Distributed
import Foundation

/// `mpirun -np N cocoop bench collectives`: the latency of the collectives one distributed
/// training step makes, at the sizes it makes them (the scaling model's `--latency`).
enum CollectivesBench {
    /// One row: a collective at one element count.
    private struct Case {
        let name: String
        let floats: Int
        let run: (Communicator, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) throws -> Void
    }

    static func run(reps: Int) throws {
        guard reps > 0 else { throw UsageError("--reps must be positive, got \(reps)") }
        let comm: Communicator = MPIRuntime.isUnderMPIRun ? try MPICommunicator.world() : SingleProcessCommunicator()
        defer { if MPIRuntime.isActive { try? MPIRuntime.finalize() } }
        let allGather: (Communicator, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) throws -> Void = {
            c, send, receive, n in try c.allGather(UnsafePointer(send), count: n, into: receive)
        }
        let allReduce: (Communicator, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) throws -> Void = {
            c, send, _, n in try c.allReduceSum(send, count: n)
        }
        // The step's collectives: the image feature (512 floats per image) and the logits
        // (B x C floats, shared out) are all-gathered; the CoCoOp gradient (~35k floats) is
        // all-reduced; the barrier is the floor.
        let cases = [
            Case(name: "barrier", floats: 0) { c, _, _, _ in try c.barrier() },
            Case(name: "all-gather (features)", floats: 512, run: allGather),
            Case(name: "all-gather (logits)", floats: 1000 / max(comm.size, 1) + 1, run: allGather),
            Case(name: "all-reduce (gradient)", floats: 35_360, run: allReduce),
        ]
        let capacity = 35_360 * max(comm.size, 1)
        let send = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        let receive = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        defer { send.deallocate(); receive.deallocate() }
        send.initialize(repeating: 1, count: capacity)
        receive.initialize(repeating: 0, count: capacity)
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        var rows: [(String, Int, Double, Double)] = []
        for c in cases {
            for _ in 0..<3 { try c.run(comm, send, receive, c.floats) }  // warm-up: connections, buffers
            var times: [Double] = []
            for _ in 0..<reps {
                try comm.barrier()
                let t0 = now()
                try c.run(comm, send, receive, c.floats)
                times.append(now() - t0)
            }
            // The slowest rank's time of each repetition, then the median and best over them.
            try comm.allReduce(&times, op: .max)
            times.sort()
            rows.append((c.name, c.floats, times[times.count / 2], times[0]))
        }
        guard comm.isRoot else { return }
        print("collectives on \(comm.size) rank(s), \(reps) repetitions each (slowest rank per repetition)")
        print("| collective | floats per rank | median us | best us |")
        print("|---|---:|---:|---:|")
        for (name, floats, median, best) in rows {
            print(String(format: "| %@ | %d | %.1f | %.1f |", name, floats, median * 1e6, best * 1e6))
        }
        let step = rows.dropFirst().reduce(0) { $0 + $1.2 }
        print(String(format: "{\"ranks\": %d, \"collectives_per_step_s\": %.7f, \"barrier_s\": %.7f}",
                     comm.size, step, rows[0].2))
    }
}
