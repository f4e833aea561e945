/// Why a safetensors file could not be read or written; every case names the file and,
/// where one is involved, the tensor.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    // MARK: - Reading: the file and its header

    /// The file is shorter than the 8-byte header length.
    case truncated(path: String, fileSize: Int)
    /// The header length says the header runs past the end of the file.
    case headerLengthBeyondFile(path: String, headerLength: UInt64, fileSize: Int)
    /// The header is larger than the format allows (100 MB).
    case headerTooLarge(path: String, headerLength: UInt64)
    /// The header is not a JSON object of the expected form; `reason` says what is wrong.
    case invalidHeader(path: String, reason: String)
    /// A tensor's dtype is not one of ``SafetensorsDType``.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A tensor's shape has a negative extent or its element count overflows.
    case invalidShape(path: String, tensor: String, shape: [Int])
    /// A tensor's `data_offsets` are not `[begin, end]` with `0 <= begin <= end <= data size`.
    case offsetsOutOfRange(path: String, tensor: String, offsets: [Int], dataSize: Int)
    /// A tensor's byte range does not hold exactly `elements x dtype size` bytes.
    case sizeMismatch(path: String, tensor: String, dtype: String, shape: [Int], expectedBytes: Int, foundBytes: Int)
    /// Two tensors' byte ranges overlap.
    case overlap(path: String, tensor: String, other: String)
    /// Bytes of the data area belong to no tensor (the format forbids holes and trailing data).
    case unindexedBytes(path: String, range: Range<Int>)

    // MARK: - Reading: access by name

    /// No tensor of that name in the file.
    case missingTensor(path: String, tensor: String)
    /// The tensor's dtype cannot be converted to the element type asked for.
    case unsupportedConversion(path: String, tensor: String, dtype: String, to: String)

    // MARK: - Writing

    /// The same tensor name was added twice.
    case duplicateTensor(path: String, tensor: String)
    /// The number of values does not match the shape.
    case valueCountMismatch(path: String, tensor: String, shape: [Int], count: Int)
    /// The writer cannot encode values of this kind in that dtype.
    case unsupportedWriteDType(path: String, tensor: String, dtype: String)
    /// Creating, writing or renaming the output failed.
    case writeFailed(path: String, errno: Int32)

    public var description: String {
        switch self {
        case let .truncated(path, size):
            return "\(path): truncated safetensors file (\(size) bytes, need at least the 8-byte header length)"
        case let .headerLengthBeyondFile(path, length, size):
            return "\(path): header length \(length) runs past the end of the file (\(size) bytes)"
        case let .headerTooLarge(path, length):
            return "\(path): header length \(length) exceeds the 100 MB limit"
        case let .invalidHeader(path, reason):
            return "\(path): invalid safetensors header: \(reason)"
        case let .unknownDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case let .invalidShape(path, tensor, shape):
            return "\(path): tensor '\(tensor)' has invalid shape \(shape)"
        case let .offsetsOutOfRange(path, tensor, offsets, dataSize):
            return "\(path): tensor '\(tensor)' has data_offsets \(offsets) outside the data area [0, \(dataSize)]"
        case let .sizeMismatch(path, tensor, dtype, shape, expected, found):
            return "\(path): tensor '\(tensor)' (\(dtype) \(shape)) needs \(expected) bytes "
                + "but its data_offsets span \(found)"
        case let .overlap(path, tensor, other):
            return "\(path): tensors '\(other)' and '\(tensor)' overlap"
        case let .unindexedBytes(path, range):
            return "\(path): data bytes \(range.lowerBound)..<\(range.upperBound) belong to no tensor"
        case let .missingTensor(path, tensor):
            return "\(path): no tensor named '\(tensor)'"
        case let .unsupportedConversion(path, tensor, dtype, to):
            return "\(path): tensor '\(tensor)' has dtype \(dtype), which cannot be read as \(to)"
        case let .duplicateTensor(path, tensor):
            return "\(path): tensor '\(tensor)' added twice"
        case let .valueCountMismatch(path, tensor, shape, count):
            return "\(path): tensor '\(tensor)' has \(count) values for shape \(shape)"
        case let .unsupportedWriteDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' cannot be written as \(dtype)"
        case let .writeFailed(path, code):
            return "\(path): write failed: \(String(cString: strerror(code)))"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
