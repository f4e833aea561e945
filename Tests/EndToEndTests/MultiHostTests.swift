import Foundation
import Testing
import TestSupport

/// Real multi-host mpirun on one machine (Cluster/multihost/netns.sh: network namespaces as
/// hosts, TCP between them): training across hosts gives the parameters of the same run on
/// one host; cutting a host's link mid-run ends the job quickly and a rerun resumes to the
/// same result; a sweep runs across hosts. Skipped, with the reason, where network namespaces
/// cannot be made (not root, no `ip`).
@Suite(.serialized, .enabled(if: MultiHost.unavailableReason == nil, MultiHost.skipComment))
struct MultiHostTests {
    /// Batch 4 splits whole images over the ranks; batch 1 splits each step's prompts.
    @Test(arguments: [4, 1])
    func trainsAcrossTwoHostsLikeOnOne(batch: Int) throws {
        let p = MultiHost.prefix(); defer { MultiHost.down(prefix: p) }
        // The test bed really puts one rank on each "host".
        let where_ = try MultiHost.run(prefix: p, hosts: 2, ["-np", "2", "sh", "-c", "ip -4 -o addr show eth1"], timeout: 60)
        #expect(where_.status == 0, "\(where_.stdout)\n\(where_.stderr)")
        #expect(where_.stdout.contains("10.77.0.11/24") && where_.stdout.contains("10.77.0.12/24"), "\(where_.stdout)")

        let fx = try TrainingFixture(); defer { fx.remove() }
        let local = fx.root.appendingPathComponent("local"), hosts = fx.root.appendingPathComponent("hosts")
        #expect(try TrainingFixture.train(fx.arguments(output: local, batch: batch), ranks: 2).status == 0)
        let t0 = Date()
        let r = try MultiHost.run(prefix: p, hosts: 2, ["-np", "2", Cocoop.binary.path]
                                  + fx.arguments(output: hosts, batch: batch))
        print("training on 2 namespace hosts: \(String(format: "%.1f", Date().timeIntervalSince(t0))) s")
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let c = try TrainingFixture.finalCheckpoint(hosts)
        #expect(c.worldSize == 2 && c.epoch == 2)
        // Two ranks sum in the same (commutative) way over TCP as over shared memory.
        #expect(TrainingFixture.parameters(c) == TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(local)))
    }

    @Test(arguments: [4, 1])
    func cuttingALinkEndsTheJobAndARerunResumes(batch: Int) throws {
        let p = MultiHost.prefix(); defer { MultiHost.down(prefix: p) }
        let fx = try TrainingFixture(); defer { fx.remove() }
        // The keepalive settings end the cut job in seconds; the watchdog is only a backstop (and
        // must outlast rank 0 hashing the weights on resume in a loaded debug build).
        let extra = ["RUNTIME.CHECKPOINT.STEP_FREQ", "1", "RUNTIME.WATCHDOG_SECONDS", "120"]
        let reference = fx.root.appendingPathComponent("reference"), out = fx.root.appendingPathComponent("cut")
        #expect(try TrainingFixture.train(fx.arguments(output: reference, epochs: 3, batch: batch, extra: extra),
                                          ranks: 2).status == 0)

        let args = ["-np", "2", "-x", "COCOOP_DEBUG_STEP_DELAY_MS", Cocoop.binary.path]
            + fx.arguments(output: out, epochs: 3, batch: batch, extra: extra)
        let log = fx.root.appendingPathComponent("cut.log")
        let job = try MultiHost.launch(prefix: p, hosts: 2, args, environment: ["COCOOP_DEBUG_STEP_DELAY_MS": "500"], log: log)
        #expect(TrainingTests.waitForStep(out, 3, process: job, timeout: 120), "never reached step 3")
        let cut = try MultiHost.cut(prefix: p, host: 2)
        #expect(cut.status == 0, "\(cut.stderr)")
        let cutAt = Date()
        while job.isRunning && Date().timeIntervalSince(cutAt) < 60 { usleep(50_000) }
        let seconds = Date().timeIntervalSince(cutAt)
        print("job ended \(String(format: "%.1f", seconds)) s after the link was cut")
        #expect(!job.isRunning, "the job still runs 60 s after the link was cut")
        if job.isRunning { kill(job.processIdentifier, SIGKILL) }
        job.waitUntilExit()
        #expect(job.terminationStatus != 0)
        #expect(seconds < 30, "took \(seconds) s to notice the cut link")
        #expect((try? TrainingFixture.finalCheckpoint(out).epoch) ?? 3 < 3, "training finished before the cut")

        let rerun = try MultiHost.run(prefix: p, hosts: 2, ["-np", "2", Cocoop.binary.path]
                                      + fx.arguments(output: out, epochs: 3, batch: batch, extra: extra))
        #expect(rerun.status == 0, "\(rerun.stdout)\n\(rerun.stderr)")
        #expect(rerun.stdout.contains("Resuming from"))
        let a = TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(out))
        #expect(a == TrainingFixture.parameters(try TrainingFixture.finalCheckpoint(reference)), "not bit-identical to the uninterrupted run")
    }

    @Test func sweepAcrossTwoHostsInGroupsOfTwo() throws {
        let p = MultiHost.prefix(); defer { MultiHost.down(prefix: p) }
        let fx = try SweepFixture(); defer { fx.remove() }
        let t0 = Date()
        let r = try MultiHost.run(prefix: p, hosts: 2, slots: 2, ["-np", "4", Cocoop.binary.path, "sweep", SweepFixture.sweepFile],
                                  environment: fx.environment)
        print("sweep of 12 trials on 2 namespace hosts x 2 ranks: \(String(format: "%.1f", Date().timeIntervalSince(t0))) s")
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(fx.finishedTrials().count == 12)
        try SweepTests.checkTable(fx)
    }
}
