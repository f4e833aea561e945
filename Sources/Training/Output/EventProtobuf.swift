// MARK: - The Event message, encoded by hand

/// Protocol-buffer encoding of the few TensorFlow `Event` messages TensorBoard needs:
///
///     Event      { double wall_time = 1; int64 step = 2; string file_version = 3;
///                  Summary summary = 5; SessionLog session_log = 7; }
///     Summary    { repeated Value value = 1; }
///     Value      { string tag = 1; float simple_value = 2; }
///     SessionLog { SessionStatus status = 1; }   // START = 1
enum EventProtobuf {
    /// The first event of every file: `file_version = "brain.Event:2"`.
    static func fileVersion(wallTime: Double) -> [UInt8] {
        var w = ProtobufWriter()
        w.double(field: 1, wallTime)
        w.string(field: 3, "brain.Event:2")
        return w.bytes
    }

    /// One scalar summary: `summary { value { tag, simple_value } }` at a step.
    static func scalar(tag: String, value: Float, step: Int64, wallTime: Double) -> [UInt8] {
        var v = ProtobufWriter()
        v.string(field: 1, tag)
        v.float(field: 2, value)
        var summary = ProtobufWriter()
        summary.message(field: 1, v.bytes)
        var event = ProtobufWriter()
        event.double(field: 1, wallTime)
        event.int64(field: 2, step)
        event.message(field: 5, summary.bytes)
        return event.bytes
    }

    /// `session_log { status: START }` at a step: TensorBoard then drops events of earlier
    /// runs in this folder whose step is at or after it (a resumed run's overlap).
    static func sessionStart(step: Int64, wallTime: Double) -> [UInt8] {
        var log = ProtobufWriter()
        log.varintField(field: 1, 1)
        var event = ProtobufWriter()
        event.double(field: 1, wallTime)
        event.int64(field: 2, step)
        event.message(field: 7, log.bytes)
        return event.bytes
    }
}

/// Appends protocol-buffer fields (wire types 0 varint, 1 fixed64, 2 length-delimited,
/// 5 fixed32) to a byte array.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(field: Int, wireType: Int) {
        varint(UInt64(field << 3 | wireType))
    }

    mutating func varintField(field: Int, _ value: UInt64) {
        key(field: field, wireType: 0)
        varint(value)
    }

    /// An int64 field (negative values take ten bytes, two's complement); 0 is omitted as in proto3.
    mutating func int64(field: Int, _ value: Int64) {
        guard value != 0 else { return }
        varintField(field: field, UInt64(bitPattern: value))
    }

    mutating func double(field: Int, _ value: Double) {
        key(field: field, wireType: 1)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    mutating func float(field: Int, _ value: Float) {
        key(field: field, wireType: 5)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift))) }
    }

    mutating func message(field: Int, _ payload: [UInt8]) {
        key(field: field, wireType: 2)
        varint(UInt64(payload.count))
        bytes += payload
    }

    mutating func string(field: Int, _ text: String) {
        message(field: field, Array(text.utf8))
    }
}
