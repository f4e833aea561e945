import Foundation
import Testing
import TestSupport
@testable import Training

@Suite("TensorBoard event files")
struct TensorBoardTests {
    @Test("CRC-32C test vectors (RFC 3720 and the classic check value)")
    func crc32c() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        let whole = CRC32C.checksum(Array("hello world".utf8))
        let split = Array(" world".utf8).withUnsafeBytes { CRC32C.update(CRC32C.checksum(Array("hello".utf8)), $0) }
        #expect(whole == split)
    }

    @Test("masked CRC: rotate right 15, add 0xa282ead8")
    func masked() {
        #expect(CRC32C.masked(0) == 0xA282_EAD8)
        #expect(CRC32C.masked(0x0000_8000) == 0xA282_EAD9)
        #expect(CRC32C.masked(0x0000_0001) == 0xA282_EAD8 &+ 0x0002_0000)
    }

    @Test("protobuf encoding of the Event messages, byte for byte")
    func protobuf() {
        // Event{wall_time: 1.5, file_version: "brain.Event:2"}
        #expect(EventProtobuf.fileVersion(wallTime: 1.5)
                    == [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0x1A, 13] + Array("brain.Event:2".utf8))
        // Event{wall_time: 2.0, step: 300, summary{value{tag: "a", simple_value: 1.0}}}
        #expect(EventProtobuf.scalar(tag: "a", value: 1.0, step: 300, wallTime: 2.0)
                    == [0x09, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x10, 0xAC, 0x02,
                        0x2A, 10, 0x0A, 8, 0x0A, 1, 0x61, 0x15, 0, 0, 0x80, 0x3F])
        // A negative step is a ten-byte varint.
        let negative = EventProtobuf.scalar(tag: "a", value: 0, step: -1, wallTime: 0)
        #expect(Array(negative[9..<20]) == [0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
        // Event{wall_time: 0, step: 5, session_log{status: START}}
        #expect(EventProtobuf.sessionStart(step: 5, wallTime: 0)
                    == [0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 5, 0x3A, 2, 0x08, 1])
    }

    @Test("TFRecord framing reads back, and corruption is detected")
    func framing() throws {
        var bytes: [UInt8] = []
        TFRecord.append([1, 2, 3], to: &bytes)
        TFRecord.append([], to: &bytes)
        #expect(bytes.count == (12 + 3 + 4) + (12 + 0 + 4))
        #expect(Array(bytes[0..<8]) == [3, 0, 0, 0, 0, 0, 0, 0])
        #expect(try TFRecord.records(in: bytes) == [[1, 2, 3], []])
        var flipped = bytes
        flipped[13] ^= 1
        #expect(throws: TensorBoardError.corruptRecord(offset: 0, problem: "payload CRC mismatch")) {
            try TFRecord.records(in: flipped)
        }
        #expect(throws: TensorBoardError.self) { try TFRecord.records(in: Array(bytes.dropLast())) }
    }

    @Test("the writer creates a new file named like TensorFlow's, version event first")
    func writer() throws {
        let folder = try temporaryFolder().appendingPathComponent("tb")
        let writer = try TensorBoardWriter(directory: folder, wallTime: 1_700_000_000)
        try writer.addScalar(tag: "train/loss", value: 0.25, step: 1, wallTime: 1_700_000_001)
        try writer.addScalar(tag: "train/loss", value: 0.125, step: 2, wallTime: 1_700_000_002)
        try writer.flush()
        let second = try TensorBoardWriter(directory: folder, wallTime: 1_700_000_000)
        try second.close()
        try writer.close()
        #expect(writer.url != second.url)
        #expect(writer.url.lastPathComponent.hasPrefix("events.out.tfevents.1700000000.\(TensorBoardWriter.hostName()).\(getpid())."))
        let records = try TFRecord.records(in: Array(try Data(contentsOf: writer.url)))
        #expect(records.count == 3)
        #expect(records[0] == EventProtobuf.fileVersion(wallTime: 1_700_000_000))
        #expect(records[2] == EventProtobuf.scalar(tag: "train/loss", value: 0.125, step: 2, wallTime: 1_700_000_002))
        #expect(throws: TensorBoardError.self) { try writer.addScalar(tag: "late", value: 1, step: 3); try writer.flush() }
    }

    @Test("an unwritable folder is an error naming the path")
    func unwritable() throws {
        let file = try writeTemporaryFile("not a folder", name: "plain")
        #expect(throws: TensorBoardError.self) { _ = try TensorBoardWriter(directory: file) }
    }

    @Test("TensorBoard's own reader (EventAccumulator) reads the scalars back")
    func pythonReader() throws {
        let folder = try temporaryFolder()
        let writer = try TensorBoardWriter(directory: folder)
        let losses: [Float] = [2.5, 1.25, 0.625, 0.3125]
        for (step, loss) in losses.enumerated() {
            try writer.addScalar(tag: "train/loss", value: loss, step: step * 10, wallTime: 1_700_000_000 + Double(step))
            try writer.addScalar(tag: "train/lr", value: 0.002, step: step * 10)
        }
        try writer.close()

        guard let output = runEventAccumulator(folder: folder, body: """
        print("TAGS", " ".join(sorted(acc.Tags()["scalars"])))
        for e in acc.Scalars("train/loss"):
            print("LOSS", e.step, repr(e.value), repr(e.wall_time))
        print("LR", len(acc.Scalars("train/lr")), acc.Scalars("train/lr")[-1].value)
        """) else { return }
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.contains("TAGS train/loss train/lr"), "\(output)")
        let expected = losses.enumerated().map { step, loss in
            "LOSS \(step * 10) \(Double(loss)) \(1_700_000_000 + Double(step))"
        }
        #expect(lines.filter { $0.hasPrefix("LOSS") } == expected, "\(output)")
        #expect(lines.contains { $0.hasPrefix("LR 4 0.00200000") }, "\(output)")
    }

    @Test("a resumed run's session start makes TensorBoard drop the overlapping steps")
    func resumedRun() throws {
        let folder = try temporaryFolder()
        let first = try TensorBoardWriter(directory: folder, wallTime: 1_700_000_000)
        for step in 0..<6 { try first.addScalar(tag: "loss", value: 1, step: step, wallTime: 1_700_000_000) }
        try first.close()
        let resumed = try TensorBoardWriter(directory: folder, wallTime: 1_700_000_100)
        try resumed.addSessionStart(step: 3, wallTime: 1_700_000_100)
        for step in 3..<5 { try resumed.addScalar(tag: "loss", value: 2, step: step, wallTime: 1_700_000_100) }
        try resumed.close()

        guard let output = runEventAccumulator(folder: folder, body: """
        print("STEPS", [(e.step, e.value) for e in acc.Scalars("loss")])
        """) else { return }
        #expect(output.contains("STEPS [(0, 1.0), (1, 1.0), (2, 1.0), (3, 2.0), (4, 2.0)]"), "\(output)")
    }
}
