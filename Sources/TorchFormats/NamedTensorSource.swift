import Foundation
import Support

/// Named tensors in a memory-mapped file, whatever wrote it: a safetensors file, or a
/// PyTorch file (`torch.save` state dict, Dassl checkpoint, TorchScript archive).
///
/// Consumers (CLIP weights, initial prompt-learner parameters) read through this and so
/// take every format with one set of checks.
public protocol NamedTensorSource: AnyObject {
    /// The file's path.
    var path: String { get }
    /// The mapping the tensors point into (retain it to keep borrowed pointers valid).
    var mapping: MappedFile { get }
    /// Tensor names.
    var names: [String] { get }
    /// Whether a tensor named `name` exists.
    func contains(_ name: String) -> Bool
    /// The element type of `name`.
    func dtype(_ name: String) throws -> SafetensorsDType
    /// The shape of `name`.
    func shape(_ name: String) throws -> [Int]
    /// A pointer into the mapping when `name` can be used as `Float` in place, else nil.
    func float32Pointer(_ name: String) throws -> UnsafePointer<Float>?
    /// Converts `name` to `Float` into `destination` (exactly its element count long).
    func copyFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws
    /// The elements of `name` as `Float`, row-major.
    func floats(_ name: String) throws -> [Float]
}

extension SafetensorsFile: NamedTensorSource {}

extension TorchStateDict: NamedTensorSource {
    public var mapping: MappedFile { file.mapping }
    public func dtype(_ name: String) throws -> SafetensorsDType { try tensor(name).dtype }
    public func shape(_ name: String) throws -> [Int] { try tensor(name).shape }
    public func float32Pointer(_ name: String) throws -> UnsafePointer<Float>? { try tensor(name).float32Pointer }
    public func copyFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        try tensor(name).copyFloats(into: destination, path: path, name: name)
    }
}

/// Opens named tensors by content, not by extension.
public enum NamedTensors {
    /// The tensors of the file at `url`: safetensors when bytes 8... start its JSON header,
    /// otherwise a PyTorch file (zip archive or pickle), whose state dict is taken as
    /// `TorchStateDict` describes.
    /// - Throws: ``MappedFileError``, ``SafetensorsError`` or ``TorchFormatError`` naming the file.
    public static func open(_ url: URL) throws -> any NamedTensorSource {
        let mapping = try MappedFile(path: url.path)
        if isPyTorch(mapping.bytes) { return try TorchStateDict(file: TorchFile(mapping: mapping)) }
        return try SafetensorsFile(mapping: mapping)
    }

    /// Whether `bytes` look like a PyTorch file rather than safetensors.
    public static func isPyTorch(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if bytes.count > 8, bytes[8] == UInt8(ascii: "{") { return false }
        return ZipArchive.looksLikeZip(bytes) || bytes.first == 0x80
    }
}
