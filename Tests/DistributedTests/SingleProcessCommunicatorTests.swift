import Distributed
import Foundation
import Testing

/// The single-process communicator: identity reductions, rank-0 broadcasts, local counter.
@Suite("SingleProcessCommunicator")
struct SingleProcessCommunicatorTests {
    let comm: Communicator = SingleProcessCommunicator()

    @Test("Rank 0 of size 1")
    func rankAndSize() {
        #expect(comm.rank == 0)
        #expect(comm.size == 1)
        #expect(comm.isRoot)
    }

    @Test("Reductions leave values unchanged")
    func reductions() throws {
        var floats: [Float] = [1.5, -2, 3e-8, .infinity]
        try comm.allReduce(&floats, op: .sum)
        #expect(floats == [1.5, -2, 3e-8, .infinity])
        var doubles: [Double] = [0.25, -7]
        try comm.allReduce(&doubles, op: .max)
        #expect(doubles == [0.25, -7])
        #expect(try comm.allReduceSum(Int64(42)) == 42)
        #expect(try comm.allReduceMax(-3.5) == -3.5)
        #expect(try comm.allReduceMin(Int64.min) == Int64.min)
        try floats.withUnsafeMutableBufferPointer { try comm.allReduceSum($0.baseAddress!, count: 4) }
        #expect(floats[0] == 1.5)
    }

    @Test("Negative counts are rejected")
    func negativeCount() {
        var x: Float = 0
        #expect(throws: DistributedError.invalidCount(-1)) { try comm.allReduceSum(&x, count: -1) }
    }

    @Test("Broadcast from rank 0 returns the same data; other roots are rejected")
    func broadcast() throws {
        #expect(try comm.broadcast([Float](arrayLiteral: 1, 2, 3), root: 0) == [1, 2, 3])
        #expect(try comm.broadcast("ünïcode ✓", root: 0) == "ünïcode ✓")
        #expect(try comm.broadcast([Double](), root: 0) == [])
        #expect(throws: DistributedError.invalidRoot(root: 1, size: 1)) { try comm.broadcast("x", root: 1) }
    }

    @Test("All-gather, barrier and split")
    func gatherSplit() throws {
        #expect(try comm.allGather(-9) == [-9])
        try comm.barrier()
        let sub = try comm.split(color: 3, key: 7)
        #expect(sub.rank == 0 && sub.size == 1)
        #expect(throws: DistributedError.invalidColor(-1)) { try comm.split(color: -1, key: 0) }
    }

    @Test("The local counter hands out consecutive values once each, also across threads")
    func counter() throws {
        let counter = try comm.makeSharedCounter(start: 5)
        #expect(try counter.next() == 5)
        #expect(try counter.next() == 6)
        let seen = NSLock()
        var values: [Int] = []
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<100 {
                let v = try! counter.next()
                seen.lock(); values.append(v); seen.unlock()
            }
        }
        #expect(values.sorted() == Array(7..<807))
        try counter.free()
        #expect(throws: DistributedError.counterFreed) { try counter.next() }
    }
}

/// Checksums and the consistency check's error text.
@Suite("ParameterConsistency")
struct ParameterConsistencyTests {
    @Test("Checksum sums in Double and hashes bit patterns")
    func checksum() {
        let a = ParameterConsistency.checksum([1, 2, 3])
        #expect(a.sum == 6 && a.sumOfSquares == 14 && a.count == 3)
        #expect(ParameterConsistency.checksum([1, 2, 3]) == a)
        // Same sum, different bits: +0 vs -0, and an order change.
        #expect(ParameterConsistency.checksum([0]).hash != ParameterConsistency.checksum([-0.0]).hash)
        #expect(ParameterConsistency.checksum([3, 2, 1]).hash != a.hash)
        #expect(ParameterConsistency.checksum([1, 2, Float(3).nextUp]).hash != a.hash)
    }

    @Test("A single process always agrees with itself")
    func singleProcessPasses() throws {
        try ParameterConsistency.verify([1, 2, 3], on: SingleProcessCommunicator())
    }

    @Test("The mismatch error names the ranks and the buffer")
    func mismatchMessage() {
        let e = DistributedError.parameterMismatch(label: "parameters", ranks: [2, 5], details: ["rank 2: x"])
        #expect(e.description.contains("parameters differ from rank 0 on rank(s) 2, 5"))
    }

    @Test("together returns the section's value, or rethrows the rank's own error")
    func together() throws {
        struct Local: Error, Equatable {}
        let comm: Communicator = SingleProcessCommunicator()
        #expect(try comm.together { 42 } == 42)
        #expect(throws: Local.self) { try comm.together { () throws -> Int in throw Local() } }
        #expect(PeerRankFailed(rank: 3, message: "cannot read image file 'x.png'").description
                == "rank 3 failed: cannot read image file 'x.png'")
    }
}
