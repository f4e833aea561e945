import Foundation
import Testing
import TestSupport

/// `cocoop mpi-check` under real `mpirun` (and as a singleton): every collective, the split,
/// the RMA counter and the consistency check, plus failure and fault behaviour.
@Suite("mpirun: cocoop mpi-check", .serialized)
struct MPICheckTests {
    /// The `OK` lines rank 0 must print for a passing job of `np` ranks.
    func expectAllChecksPassed(_ result: ProcessResult, np: Int) {
        #expect(result.status == 0, "\(result.transcript)")
        #expect(!result.timedOut)
        for r in 0..<np {
            #expect(result.stdout.contains("rank \(r) of \(np): pid"), "rank \(r) did not report\n\(result.transcript)")
        }
        let okLines = result.stdout.split(separator: "\n").filter { $0.hasPrefix("OK ") }
        #expect(okLines.count == 7, "\(result.transcript)")
        #expect(result.stdout.contains("OK ranks: \(np) rank(s) answered in order"))
        #expect(result.stdout.contains("OK allreduce: sum of 35000 floats"))
        #expect(result.stdout.contains("OK broadcast: 35000 floats from rank 0, a string from rank \(np - 1)"))
        #expect(result.stdout.contains("OK split: \((np + 1) / 2) group(s)"))
        #expect(result.stdout.contains("OK counter: 100 items handed out exactly once"))
        #expect(result.stdout.contains("OK together: a failure on some ranks reaches every rank"))
        #expect(result.stdout.contains("OK consistency: 35000 parameters identical on all \(np) rank(s)"))
    }

    @Test("2 ranks pass every check", .timeLimit(.minutes(2)))
    func twoRanks() throws {
        let result = try MPIRun.run(np: 2, ["mpi-check"])
        print("mpirun -np 2 mpi-check: \(String(format: "%.2f", result.seconds)) s")
        expectAllChecksPassed(result, np: 2)
    }

    @Test("4 ranks (oversubscribed) pass every check", .timeLimit(.minutes(2)))
    func fourRanks() throws {
        let result = try MPIRun.run(np: 4, ["mpi-check"])
        print("mpirun -np 4 mpi-check: \(String(format: "%.2f", result.seconds)) s")
        expectAllChecksPassed(result, np: 4)
    }

    @Test("Without mpirun the binary is an MPI singleton and passes", .timeLimit(.minutes(2)))
    func singleton() throws {
        let result = try Cocoop.run(["mpi-check"], environment: MPIRun.environment, timeout: 60, isolatedFromMPI: true)
        print("mpi-check as singleton (\(try Cocoop.locateBinary().path)): \(String(format: "%.2f", result.seconds)) s")
        #expect(result.stdout.contains("rank 0 of 1: pid"))
        #expect(result.stdout.contains("(MPI singleton)"))
        expectAllChecksPassed(result, np: 1)
    }

    @Test("A rank with a changed parameter fails the consistency check, named", .timeLimit(.minutes(2)))
    func corruptRank() throws {
        let result = try MPIRun.run(np: 4, ["mpi-check", "--corrupt-rank", "3"])
        print("mpirun -np 4 mpi-check --corrupt-rank 3: \(String(format: "%.2f", result.seconds)) s")
        #expect(result.status != 0, "\(result.transcript)")
        #expect(!result.timedOut)
        #expect(result.stderr.contains("parameters differ from rank 0 on rank(s) 3:"), "\(result.transcript)")
        #expect(result.stderr.contains("rank 3: hash 0x"))
        #expect(!result.stdout.contains("OK consistency"))
        // The checks before it still passed.
        #expect(result.stdout.contains("OK counter:"))
    }

    @Test("A corrupt rank outside the job is a usage error", .timeLimit(.minutes(2)))
    func corruptRankOutOfRange() throws {
        let result = try Cocoop.run(["mpi-check", "--corrupt-rank", "1"], environment: MPIRun.environment,
                                    timeout: 60, isolatedFromMPI: true)
        #expect(result.status == 2, "\(result.transcript)")
        #expect(result.stderr.contains("--corrupt-rank 1 is not a rank of this job (size 1)"))
    }

    @Test("Killing one rank of a looping 2-rank job ends mpirun with an error within 30 s",
          .timeLimit(.minutes(2)))
    func killedRankEndsJob() throws {
        let job = try RunningProcess(MPIRun.executable, MPIRun.arguments(np: 2, ["mpi-check", "--loop", "120"]),
                                     environment: MPIRun.environment, isolatedFromMPI: true)
        let looping = job.waitForOutput(containing: "LOOPING", timeout: 30)
        let early = looping ? nil : job.wait(timeout: 1)
        try #require(looping, "job never started looping:\n\(early?.transcript ?? "")")
        let text = job.stdoutSoFar
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("rank 1 of 2: pid ") })
        let pid = try #require(Int32(line.dropFirst("rank 1 of 2: pid ".count).prefix { $0.isNumber }))
        let killedAt = Date()
        #expect(kill(pid, SIGKILL) == 0)
        let result = job.wait(timeout: 60)
        let afterKill = Date().timeIntervalSince(killedAt)
        print("mpirun -np 2 --loop: exit \(result.status) \(String(format: "%.2f", afterKill)) s "
              + "after SIGKILL of rank 1")
        #expect(!result.timedOut, "\(result.transcript)")
        #expect(result.status != 0)
        #expect(afterKill < 30)
        #expect(!result.stdout.contains("OK loop"))
    }
}
