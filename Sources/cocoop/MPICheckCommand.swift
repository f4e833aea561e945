import Distributed
import Foundation

/// `cocoop mpi-check`: checks the MPI layer end to end on every rank of a job.
enum MPICheckCommand: Command {
    static let name = "mpi-check"
    static let summary = "check MPI collectives, splits, the shared counter and consistency checks"
    static let usage = """
    usage: [mpirun -np N] cocoop mpi-check [--count N] [--items N] [--corrupt-rank R] [--loop SECONDS]

    Runs on every rank and checks, in order: rank/size, all-reduce (sum of a --count float
    buffer, default 35000, where rank r contributes (r+1)*(1 + i mod 5) in slot i; Double
    sum; Int64 max/min), broadcast (floats and a string, from the first and the last rank),
    split into groups of 2 and all-reduce within each group, a shared RMA counter handing
    --items (default 100) items to the ranks (each exactly once), failing together (a
    section that throws on the last rank only, or on ranks 1 and the last, throws on
    every rank, with the lowest failing rank's message), and the parameter consistency
    check. Rank 0 prints one `OK <check>` line per check. Without mpirun the
    process is an MPI singleton (size 1).

      --corrupt-rank R   rank R (1 <= R < N) changes one parameter before the consistency
                         check, which must then fail naming rank R (exit status 1).
      --loop SECONDS     after the checks, all-reduce in a loop for SECONDS (used to test
                         that killing one rank ends the whole job); prints `LOOPING` first.

    Exit status: 0 all checks passed; 1 a check failed (rank 0 names it and the ranks);
    2 bad arguments; an MPI error aborts the job (MPI_Abort, status 1).
    """

    /// A check whose result was wrong on some ranks (every rank throws the same one).
    struct CheckFailure: Error, CustomStringConvertible {
        let description: String
    }

    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["count", "items", "corrupt-rank", "loop"])
        let count = try a.int("count", default: 35_000)
        let items = try a.int("items", default: 100)
        let corruptRank = a.value("corrupt-rank") == nil ? nil : try a.int("corrupt-rank", default: -1)
        let loopSeconds = try a.int("loop", default: 0)
        guard count >= 1 else { throw UsageError("--count must be >= 1, got \(count)") }
        guard items >= 0 else { throw UsageError("--items must be >= 0, got \(items)") }
        guard loopSeconds >= 0 else { throw UsageError("--loop must be >= 0, got \(loopSeconds)") }
        if let r = corruptRank, r < 1 {
            throw UsageError("--corrupt-rank must be >= 1 (rank 0 is the reference), got \(r)")
        }
        setvbuf(stdout, nil, _IOLBF, 0)

        let world = try MPICommunicator.world()
        print("rank \(world.rank) of \(world.size): pid \(getpid()) host \(ProcessInfo.processInfo.hostName)"
              + (MPIRuntime.isUnderMPIRun ? "" : " (MPI singleton)"))
        do {
            if let r = corruptRank, r >= world.size {
                throw UsageError("--corrupt-rank \(r) is not a rank of this job (size \(world.size))")
            }
            let checker = Checker(world: world, count: count)
            try checker.all(items: items, corruptRank: corruptRank)
            if loopSeconds > 0 { try checker.loop(seconds: loopSeconds) }
        } catch let error as UsageError {
            try? MPIRuntime.finalize()
            throw error
        } catch let error as CheckFailure {
            if world.isRoot { FileHandle.standardError.write("mpi-check: FAILED: \(error)\n".data(using: .utf8)!) }
            try MPIRuntime.finalize()
            return 1
        } catch let error as DistributedError {
            if world.isRoot { FileHandle.standardError.write("mpi-check: FAILED: \(error)\n".data(using: .utf8)!) }
            try MPIRuntime.finalize()
            return 1
        } catch {
            // An MPI error leaves collectives out of step: end the whole job.
            FileHandle.standardError.write("mpi-check: rank \(world.rank): \(error)\n".data(using: .utf8)!)
            world.abort(code: 1)
        }
        try MPIRuntime.finalize()
        return 0
    }

    // MARK: - The checks

    /// Runs the checks on one rank; every check ends with an agreement step so that all
    /// ranks either continue or throw the same `CheckFailure`.
    final class Checker {
        let world: Communicator
        let count: Int

        init(world: Communicator, count: Int) {
            self.world = world
            self.count = count
        }

        /// Prints `OK <line>` on rank 0.
        func ok(_ line: String) {
            if world.isRoot { print("OK \(line)") }
        }

        /// Turns a local problem (nil when fine) into a failure on every rank naming the
        /// ranks that saw one; the failing ranks print their detail to stderr.
        func agree(_ check: String, _ problem: String?) throws {
            if let problem {
                FileHandle.standardError.write(
                    "mpi-check: rank \(world.rank): \(check): \(problem)\n".data(using: .utf8)!)
            }
            let flags = try world.allGather(problem == nil ? 0 : 1)
            let bad = flags.indices.filter { flags[$0] != 0 }
            if !bad.isEmpty {
                throw CheckFailure(description: "\(check): wrong result on rank(s) "
                                                + "\(bad.map(String.init).joined(separator: ", "))")
            }
        }

        func all(items: Int, corruptRank: Int?) throws {
            try ranks()
            try allReduce()
            try broadcast()
            try split()
            try counter(items: items)
            try together()
            try consistency(corruptRank: corruptRank)
        }

        func ranks() throws {
            let gathered = try world.allGather(Int64(world.rank))
            var problem: String? = nil
            if gathered != (0..<world.size).map(Int64.init) { problem = "all-gather of ranks gave \(gathered)" }
            if let env = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"], Int(env) != world.size {
                problem = "OMPI_COMM_WORLD_SIZE=\(env) but the world has \(world.size) ranks"
            }
            try agree("ranks", problem)
            ok("ranks: \(world.size) rank(s) answered in order")
        }

        func allReduce() throws {
            let s = Float(world.size * (world.size + 1) / 2)
            var buffer = (0..<count).map { Float(world.rank + 1) * Float(1 + $0 % 5) }
            let reps = 20
            let t0 = DispatchTime.now().uptimeNanoseconds
            try world.allReduce(&buffer, op: .sum)
            let t1 = DispatchTime.now().uptimeNanoseconds
            var problem: String? = nil
            if let i = (0..<count).first(where: { buffer[$0] != s * Float(1 + $0 % 5) }) {
                problem = "float sum slot \(i) is \(buffer[i]), expected \(s * Float(1 + i % 5))"
            }
            // Timing: a few more reductions of the same size (the first one pays for setup).
            var scratch = [Float](repeating: 1, count: count)
            let t2 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<reps { try world.allReduce(&scratch, op: .sum) }
            let perCall = Double(DispatchTime.now().uptimeNanoseconds - t2) / Double(reps) / 1e3
            let doubleSum = try world.allReduceSum(0.5 * Double(world.rank + 1))
            if doubleSum != 0.5 * Double(s) {
                problem = problem ?? "Double sum is \(doubleSum), expected \(0.5 * Double(s))"
            }
            let maxRank = try world.allReduceMax(Int64(world.rank)), minRank = try world.allReduceMin(Int64(world.rank))
            if maxRank != Int64(world.size - 1) || minRank != 0 {
                problem = problem ?? "Int64 max/min of ranks are \(maxRank)/\(minRank), expected \(world.size - 1)/0"
            }
            var doubles: [Double] = [Double(world.rank), -Double(world.rank)]
            try world.allReduce(&doubles, op: .max)
            if doubles != [Double(world.size - 1), 0] { problem = problem ?? "Double max gave \(doubles)" }
            try agree("allreduce", problem)
            ok(String(format: "allreduce: sum of %d floats (first call %.0f us, then %.1f us per call), "
                              + "Double sum, Int64/Double max and min",
                      count, Double(t1 - t0) / 1e3, perCall))
        }

        func broadcast() throws {
            let pattern = (0..<count).map { Float($0) * 0.5 - 3 }
            let mine = world.isRoot ? pattern : [Float](repeating: -1, count: 7)
            let got = try world.broadcast(mine, root: 0)
            var problem: String? = got == pattern ? nil : "float broadcast from rank 0 differs (count \(got.count))"
            let last = world.size - 1
            let text = "cocoop mpi-check from rank \(last) — ✓"
            let gotText = try world.broadcast(world.rank == last ? text : "", root: last)
            if gotText != text { problem = problem ?? "string broadcast from rank \(last) gave '\(gotText)'" }
            var raw: [Float] = world.isRoot ? [1, 2, 3] : [0, 0, 0]
            try raw.withUnsafeMutableBufferPointer { try world.broadcast($0.baseAddress!, count: 3, root: 0) }
            if raw != [1, 2, 3] { problem = problem ?? "in-place broadcast gave \(raw)" }
            try agree("broadcast", problem)
            ok("broadcast: \(count) floats from rank 0, a string from rank \(last), in-place floats")
        }

        func split() throws {
            let color = world.rank / 2
            let members = Array((2 * color)..<min(2 * color + 2, world.size))
            // key = -rank: the group's ranks come out in reverse order of world ranks.
            let group = try world.split(color: color, key: -world.rank)
            var problem: String? = nil
            let expectedRank = members.count - 1 - (world.rank - 2 * color)
            if group.size != members.count || group.rank != expectedRank {
                problem = "group \(color): rank \(group.rank) of \(group.size), "
                    + "expected \(expectedRank) of \(members.count)"
            }
            var buffer = [Float](repeating: Float(world.rank + 1), count: count)
            try group.allReduce(&buffer, op: .sum)
            let expected = Float(members.reduce(0) { $0 + $1 + 1 })
            if let i = buffer.firstIndex(where: { $0 != expected }) {
                problem = problem ?? "group \(color): sum slot \(i) is \(buffer[i]), expected \(expected)"
            }
            let groupRoot = try group.broadcast(world.rank == members.last! ? "group \(color)" : "", root: 0)
            if groupRoot != "group \(color)" { problem = problem ?? "group broadcast gave '\(groupRoot)'" }
            if let mpiGroup = group as? MPICommunicator { try mpiGroup.free() }
            try agree("split", problem)
            ok("split: \((world.size + 1) / 2) group(s) of up to 2 ranks, key order, "
               + "all-reduce and broadcast within groups")
        }

        func counter(items: Int) throws {
            let counter = try world.makeSharedCounter(start: 0)
            var taken: [Int] = []
            while true {
                let v = try counter.next()
                if v >= items { break }
                taken.append(v)
                if world.size > 1 { usleep(200) } // let other ranks draw too
            }
            try world.barrier()
            try counter.free()
            var seen = [Int64](repeating: 0, count: max(items, 1))
            for v in taken { seen[v] += 1 }
            try world.allReduce(&seen, op: .sum)
            let perRank = try world.allGather(Int64(taken.count))
            var problem: String? = nil
            if let i = (0..<items).first(where: { seen[$0] != 1 }) {
                problem = "item \(i) was handed out \(seen[i]) times"
            }
            try agree("counter", problem)
            ok("counter: \(items) items handed out exactly once "
               + "(per rank: \(perRank.map(String.init).joined(separator: ", ")))")
        }

        /// A local failure on some ranks must surface on every rank, from the same call.
        func together() throws {
            struct Local: Error, CustomStringConvertible { let description: String }
            var problem: String? = nil
            let fine = try world.together { world.rank * 10 }
            if fine != world.rank * 10 { problem = "a section that did not fail returned \(fine)" }
            let last = world.size - 1
            for failing in [[last], [1, last]] where failing.allSatisfy({ $0 < world.size }) {
                let speaker = failing.min()!
                do {
                    _ = try world.together { () throws -> Int in
                        if failing.contains(world.rank) {
                            throw Local(description: "local failure on rank \(world.rank)")
                        }
                        return 0
                    }
                    problem = problem ?? "ranks \(failing) failed but rank \(world.rank) went on"
                } catch let e as Local {
                    if !failing.contains(world.rank) || e.description != "local failure on rank \(world.rank)" {
                        problem = problem ?? "rank \(world.rank) threw \(e)"
                    }
                } catch let e as PeerRankFailed {
                    if failing.contains(world.rank) || e.rank != speaker
                            || e.message != "local failure on rank \(speaker)" {
                        problem = problem ?? "rank \(world.rank) heard \(e) (ranks \(failing) failed)"
                    }
                }
            }
            try agree("together", problem)
            ok("together: a failure on some ranks reaches every rank with the lowest failing rank's message")
        }

        func consistency(corruptRank: Int?) throws {
            var params = (0..<count).map { Float(sin(Double($0) * 0.01)) * 0.02 }
            if world.rank == corruptRank { params[count / 2] = params[count / 2].nextUp }
            try ParameterConsistency.verify(params, on: world, label: "parameters")
            ok("consistency: \(count) parameters identical on all \(world.size) rank(s)")
        }

        /// All-reduces in a loop until `seconds` have passed on rank 0 (which all ranks learn
        /// through the reduction itself, so they stop together).
        func loop(seconds: Int) throws {
            if world.isRoot { print("LOOPING") }
            let start = DispatchTime.now().uptimeNanoseconds
            var buffer = [Float](repeating: 1, count: count + 1)
            while true {
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                buffer[count] = world.isRoot && elapsed > Double(seconds) ? 1 : 0
                try world.allReduce(&buffer, op: .sum)
                if buffer[count] > 0 { break }
                usleep(1000)
            }
            ok("loop: \(seconds) s of all-reduce")
        }
    }
}
