import HDF5
import Support
import Foundation

// MARK: - Values

/// A named float32 tensor (Support's): here `name` is a slash-separated path below its
/// section, e.g. `ctx` or `meta_net/linear1/weight`.
public typealias NamedTensor = Support.NamedTensor

/// A measured quantity: one number or a series (e.g. per epoch).
public enum MetricValue: Equatable, Sendable {
    case scalar(Double)
    case series([Double])
}

// MARK: - Contents

/// Everything a checkpoint holds, independent of HDF5 (schema version 1, see `Checkpoint`).
public struct CheckpointContents: Equatable, Sendable {
    /// Completed epochs when written (the epoch to resume in).
    public var epoch: Int
    /// Global optimisation steps taken.
    public var step: Int
    /// MPI world size of the run that wrote it.
    public var worldSize: Int
    /// The run's seed.
    public var seed: Int
    /// The resolved configuration as YAML.
    public var configYAML: String
    /// SHA-256 (hex) of the frozen CLIP weights the parameters belong to.
    public var clipWeightsSHA256: String
    /// The cocoop version that wrote the file.
    public var softwareVersion: String
    /// When it was written; `nil` means "now" when saving. Stored as ISO 8601 (seconds, UTC).
    public var created: Date?
    /// The trainable parameters (stored under /params).
    public var params: [NamedTensor]
    /// SGD momentum buffers: empty, or the same names and shapes as `params`
    /// (stored under /optimizer/momentum).
    public var momentum: [NamedTensor]
    /// Class names in label order (stored as /classnames).
    public var classnames: [String]
    /// Metrics measured so far (stored under /metrics; names may contain '/').
    public var metrics: [String: MetricValue]
    /// Further root attributes, e.g. `step_in_epoch` or scheduler state; names must not
    /// be those of the schema (`Checkpoint.reservedAttributes`).
    public var extraAttributes: [String: HDF5AttributeValue]

    /// Contents with the given header fields; tensors, class names and metrics default to empty.
    public init(epoch: Int, step: Int, worldSize: Int, seed: Int, configYAML: String, clipWeightsSHA256: String,
                softwareVersion: String, created: Date? = nil, params: [NamedTensor] = [], momentum: [NamedTensor] = [],
                classnames: [String] = [], metrics: [String: MetricValue] = [:],
                extraAttributes: [String: HDF5AttributeValue] = [:]) {
        self.epoch = epoch
        self.step = step
        self.worldSize = worldSize
        self.seed = seed
        self.configYAML = configYAML
        self.clipWeightsSHA256 = clipWeightsSHA256
        self.softwareVersion = softwareVersion
        self.created = created
        self.params = params
        self.momentum = momentum
        self.classnames = classnames
        self.metrics = metrics
        self.extraAttributes = extraAttributes
    }

    /// The parameter tensor called `name`.
    public func param(_ name: String) -> NamedTensor? { params.first { $0.name == name } }
    /// The momentum tensor called `name`.
    public func momentum(_ name: String) -> NamedTensor? { momentum.first { $0.name == name } }

    // MARK: - Validation

    /// Throws `CheckpointError.invalidContents` naming the first problem: a bad tensor or
    /// metric name, a value count that does not match a shape, duplicate names, momentum
    /// that does not mirror the parameters, or an extra attribute with a reserved name.
    public func validate() throws {
        try Self.validate(params, section: "params")
        try Self.validate(momentum, section: "optimizer/momentum")
        if !momentum.isEmpty {
            let p = Dictionary(uniqueKeysWithValues: params.map { ($0.name, $0.shape) })
            let m = Dictionary(uniqueKeysWithValues: momentum.map { ($0.name, $0.shape) })
            guard p == m else {
                let missing = p.keys.filter { m[$0] == nil }.sorted(), extra = m.keys.filter { p[$0] == nil }.sorted()
                let shapes = p.keys.filter { m[$0] != nil && m[$0] != p[$0] }.sorted()
                throw CheckpointError.invalidContents(
                    "momentum must mirror params: missing \(missing), unexpected \(extra), different shapes \(shapes)")
            }
        }
        for name in metrics.keys where !Self.isValidPath(name) {
            throw CheckpointError.invalidContents("metric name '\(name)' is not a valid path")
        }
        let metricNames = Set(metrics.keys)
        for name in metricNames where metricNames.contains(where: { $0.hasPrefix(name + "/") }) {
            throw CheckpointError.invalidContents("metric '\(name)' is also used as a group of other metrics")
        }
        for name in extraAttributes.keys where Checkpoint.reservedAttributes.contains(name) || name.isEmpty {
            throw CheckpointError.invalidContents("extra attribute name '\(name)' is reserved by the schema")
        }
        for (name, value) in [("config_yaml", configYAML), ("clip_weights_sha256", clipWeightsSHA256),
                              ("software_version", softwareVersion)] where value.contains("\0") {
            throw CheckpointError.invalidContents("\(name) contains a NUL character")
        }
    }

    private static func validate(_ tensors: [NamedTensor], section: String) throws {
        var seen = Set<String>()
        for t in tensors {
            guard isValidPath(t.name) else {
                throw CheckpointError.invalidContents("tensor name '\(t.name)' in /\(section) is not a valid path")
            }
            guard seen.insert(t.name).inserted else {
                throw CheckpointError.invalidContents("tensor '\(t.name)' appears twice in /\(section)")
            }
            guard t.shape.allSatisfy({ $0 >= 0 }), t.shape.reduce(1, *) == t.values.count else {
                throw CheckpointError.invalidContents(
                    "tensor /\(section)/\(t.name): shape \(t.shape) needs \(t.shape.reduce(1, *)) values, "
                    + "got \(t.values.count)")
            }
        }
        for name in seen where seen.contains(where: { $0.hasPrefix(name + "/") }) {
            throw CheckpointError.invalidContents(
                "tensor '\(name)' in /\(section) is also used as a group of other tensors")
        }
    }

    /// A relative slash path with non-empty components other than "." and "..", without NUL.
    static func isValidPath(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("\0")
            && name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
                !$0.isEmpty && $0 != "." && $0 != ".."
            }
    }
}

// MARK: - Errors

/// Why a checkpoint could not be written or read; each case names the file or the tensor.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The contents to save are inconsistent (the message names the tensor or key).
    case invalidContents(String)
    /// The file is HDF5 but not a cocoop checkpoint (`found`: its `format` attribute).
    case notACheckpoint(file: String, found: String?)
    /// A schema version this build cannot read.
    case unsupportedVersion(file: String, version: Int64)
    /// A required root attribute is absent.
    case missingAttribute(file: String, name: String)
    /// A root attribute has another type than the schema says.
    case wrongAttributeType(file: String, name: String, expected: String, found: String)
    /// The tensors do not hash to the stored digest: the file is corrupt.
    case digestMismatch(file: String, algorithm: String, stored: String, computed: String)
    /// The whole-file digest (format_version 2) does not match: an attribute, a class name or
    /// a metric changed since the file was written.
    case contentDigestMismatch(file: String, stored: String, computed: String)
    /// The stored digest uses an algorithm this build does not know.
    case unknownDigestAlgorithm(file: String, algorithm: String)
    /// The file's tensors break the schema (e.g. momentum not mirroring params).
    case inconsistent(file: String, reason: String)
    /// A file-system operation failed.
    case io(path: String, operation: String, message: String)

    public var description: String {
        switch self {
        case let .invalidContents(reason):
            return "cannot save checkpoint: \(reason)"
        case let .notACheckpoint(file, found):
            return "\(file) is not a cocoop checkpoint (format attribute: \(found.map { "'\($0)'" } ?? "absent"))"
        case let .unsupportedVersion(file, version):
            return "\(file) has checkpoint format_version \(version); "
                + "this build reads version \(Checkpoint.formatVersion)"
        case let .missingAttribute(file, name):
            return "\(file) lacks the root attribute '\(name)'"
        case let .wrongAttributeType(file, name, expected, found):
            return "\(file): root attribute '\(name)' is \(found), expected \(expected)"
        case let .digestMismatch(file, algorithm, stored, computed):
            return "\(file) is corrupt: its tensors hash to \(computed) but the stored \(algorithm) digest is \(stored)"
        case let .contentDigestMismatch(file, stored, computed):
            return "\(file) is corrupt: its attributes, class names and metrics hash to \(computed) but the stored "
                + "content_digest is \(stored)"
        case let .unknownDigestAlgorithm(file, algorithm):
            return "\(file) uses tensor digest '\(algorithm)', which this build cannot verify"
        case let .inconsistent(file, reason):
            return "\(file) is inconsistent: \(reason)"
        case let .io(path, operation, message):
            return "\(operation) failed for \(path): \(message)"
        }
    }
}
