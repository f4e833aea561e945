import HDF5
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes cocoop checkpoints: HDF5 files with the schema below (version 2),
/// readable with h5py or h5dump by someone who never saw this code.
///
///     /                              root attributes:
///         format = "cocoop-checkpoint", format_version = 2 (int64; 1 is still read),
///         created (ISO 8601 UTC), software_version, epoch, step, world_size, seed (int64),
///         config_yaml (the resolved config), clip_weights_sha256,
///         tensors_digest, tensors_digest_algorithm, content_digest (see below), plus extra
///         attributes
///     /params/<name>                 float32, e.g. /params/ctx [M, D],
///                                    /params/meta_net/linear1/weight [E/16, E]
///     /optimizer/momentum/<name>     float32, same names and shapes as /params (optional)
///     /classnames                    variable-length UTF-8 strings, in label order
///     /metrics/<name>                float64, scalar or 1-D
///
/// Every float32 tensor is chunked with HDF5's Fletcher-32 filter, so a damaged chunk fails
/// to read. `tensors_digest` additionally covers all parameter and momentum bytes (names,
/// shapes and values; see `TensorDigest`) and is verified on load. Files use the HDF5 1.8+
/// object format, whose metadata is checksummed as well. `content_digest` (version 2; see
/// `ContentDigest`) covers everything else: every attribute, the class names, the metrics.
public enum Checkpoint {
    // MARK: - Schema constants

    /// The `format` attribute of every checkpoint.
    public static let format = "cocoop-checkpoint"
    /// The schema version written (and the newest one read; version 1, without
    /// `content_digest`, is still read).
    public static let formatVersion: Int64 = 2
    /// Root attributes written by the schema itself; extra attributes may not use them.
    public static let reservedAttributes: Set<String> = [
        "format", "format_version", "created", "software_version", "epoch", "step", "world_size", "seed",
        "config_yaml", "clip_weights_sha256", "tensors_digest", "tensors_digest_algorithm", ContentDigest.attribute,
    ]

    // MARK: - Saving

    /// Writes `contents` to `url` atomically: into a new `<name>.<random>.h5.tmp` in the same
    /// directory (created exclusively, so a planted file or symbolic link of a predictable name
    /// is never written through), which is flushed, closed and fsynced, then renamed over
    /// `url`, then the directory is fsynced. On any failure the temporary file is removed and
    /// an existing file at `url` is untouched.
    public static func save(_ contents: CheckpointContents, to url: URL) throws {
        try contents.validate()
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let temporary = url.deletingPathExtension().path + ".\(random).h5.tmp"
        var created = false
        do {
            let file = try HDF5File.create(temporary, overwrite: false)
            created = true
            do {
                try write(contents, into: file)
                try file.flush()
                try file.close()
            } catch {
                try? file.close()
                throw error
            }
            try FileSync.fsync(path: temporary)
            try FileSync.rename(temporary, to: url.path)
            try FileSync.fsync(path: url.deletingLastPathComponent().path)
        } catch {
            if created { unlink(temporary) }
            throw error
        }
    }

    /// Writes the schema into an open, empty file. The root attributes come last, so a file
    /// cut short while being written lacks them.
    static func write(_ c: CheckpointContents, into file: HDF5File) throws {
        try file.createGroup("/params")
        for t in c.params { try file.write(t.values, shape: t.shape, to: "/params/" + t.name) }
        if !c.momentum.isEmpty {
            try file.createGroup("/optimizer/momentum")
            for t in c.momentum { try file.write(t.values, shape: t.shape, to: "/optimizer/momentum/" + t.name) }
        }
        try file.write(c.classnames, to: "/classnames")
        try file.createGroup("/metrics")
        for (name, value) in c.metrics.sorted(by: { $0.key < $1.key }) {
            switch value {
            case let .scalar(v): try file.write(scalar: v, to: "/metrics/" + name)
            case let .series(v): try file.write(v, to: "/metrics/" + name)
            }
        }
        for (name, value) in c.extraAttributes.sorted(by: { $0.key < $1.key }) {
            try file.setAttribute(name, value)
        }
        let created = c.created ?? Date()
        let attributes: [(String, HDF5AttributeValue)] = [
            ("created", .string(iso8601.string(from: created))),
            ("software_version", .string(c.softwareVersion)),
            ("epoch", .int64(Int64(c.epoch))),
            ("step", .int64(Int64(c.step))),
            ("world_size", .int64(Int64(c.worldSize))),
            ("seed", .int64(Int64(c.seed))),
            ("config_yaml", .string(c.configYAML)),
            ("clip_weights_sha256", .string(c.clipWeightsSHA256)),
            ("tensors_digest_algorithm", .string(TensorDigest.algorithm)),
            ("tensors_digest", .string(TensorDigest.of(params: c.params, momentum: c.momentum))),
            ("format_version", .int64(formatVersion)),
            ("format", .string(format)),
        ]
        for (name, value) in attributes { try file.setAttribute(name, value) }
        let all = c.extraAttributes.merging(attributes) { $1 }
        try file.setAttribute(ContentDigest.attribute,
                              .string(ContentDigest.of(attributes: all, classnames: c.classnames, metrics: c.metrics)))
    }

    /// ISO 8601 with seconds, UTC.
    nonisolated(unsafe) static let iso8601: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f
    }()

    // MARK: - Loading

    /// Reads and verifies the checkpoint at `url`: format and version, required attributes,
    /// every tensor (Fletcher-32 checked by HDF5), momentum mirroring the parameters, and the
    /// tensor digest.
    /// - Throws: `CheckpointError` or `HDF5Error`, naming the file (and dataset).
    public static func load(from url: URL) throws -> CheckpointContents {
        try HDF5File.checkGlobalHeaps(atPath: url.path)  // a damaged one would hang HDF5
        let file = try HDF5File.open(url.path, mode: .readOnly)
        defer { try? file.close() }
        let path = url.path
        let found = try file.attribute("format")
        guard found?.stringValue == format else {
            throw CheckpointError.notACheckpoint(file: path, found: found?.description)
        }
        let version = try intAttribute(file, "format_version")
        guard version == 1 || version == formatVersion else {
            throw CheckpointError.unsupportedVersion(file: path, version: version)
        }

        var extras: [String: HDF5AttributeValue] = [:]
        for name in try file.attributeNames() where !reservedAttributes.contains(name) {
            extras[name] = try file.attribute(name)
        }
        let createdText = try stringAttribute(file, "created")
        var contents = CheckpointContents(
            epoch: Int(try intAttribute(file, "epoch")), step: Int(try intAttribute(file, "step")),
            worldSize: Int(try intAttribute(file, "world_size")), seed: Int(try intAttribute(file, "seed")),
            configYAML: try stringAttribute(file, "config_yaml"),
            clipWeightsSHA256: try stringAttribute(file, "clip_weights_sha256"),
            softwareVersion: try stringAttribute(file, "software_version"),
            created: iso8601.date(from: createdText), extraAttributes: extras)

        contents.params = try readTensors(file, under: "/params")
        if try file.kind(of: "/optimizer/momentum") == .group {
            contents.momentum = try readTensors(file, under: "/optimizer/momentum")
        }
        if try file.kind(of: "/classnames") == .dataset { contents.classnames = try file.readStrings("/classnames") }
        if try file.kind(of: "/metrics") == .group {
            for name in try datasetNames(file, under: "/metrics") {
                let full = "/metrics/" + name
                let values = try file.readDoubles(full)
                contents.metrics[name] = try file.shape(of: full).isEmpty ? .scalar(values[0]) : .series(values)
            }
        }
        do {
            try contents.validate()
        } catch let CheckpointError.invalidContents(reason) {
            throw CheckpointError.inconsistent(file: path, reason: reason)
        }

        let algorithm = try stringAttribute(file, "tensors_digest_algorithm")
        guard algorithm == TensorDigest.algorithm else {
            throw CheckpointError.unknownDigestAlgorithm(file: path, algorithm: algorithm)
        }
        let stored = try stringAttribute(file, "tensors_digest")
        let computed = TensorDigest.of(params: contents.params, momentum: contents.momentum)
        guard stored == computed else {
            throw CheckpointError.digestMismatch(file: path, algorithm: algorithm, stored: stored, computed: computed)
        }
        if version >= 2 {
            var attributes: [String: HDF5AttributeValue] = [:]
            for name in try file.attributeNames() { attributes[name] = try file.attribute(name) }
            let stored = try stringAttribute(file, ContentDigest.attribute)
            let computed = ContentDigest.of(attributes: attributes, classnames: contents.classnames,
                                            metrics: contents.metrics)
            guard stored == computed else {
                throw CheckpointError.contentDigestMismatch(file: path, stored: stored, computed: computed)
            }
        }
        return contents
    }

    /// The float32 datasets below `group`, named by their path relative to it.
    static func readTensors(_ file: HDF5File, under group: String) throws -> [NamedTensor] {
        try datasetNames(file, under: group).map { name in
            let full = group + "/" + name
            return NamedTensor(name: name, shape: try file.shape(of: full), values: try file.readFloats(full))
        }
    }

    /// Relative paths of every dataset below `group` (depth first, name order).
    static func datasetNames(_ file: HDF5File, under group: String) throws -> [String] {
        guard try file.kind(of: group) == .group else {
            throw HDF5Error.notFound(file: file.path, object: group)
        }
        var names: [String] = []
        func walk(_ relative: String) throws {
            let full = relative.isEmpty ? group : group + "/" + relative
            for child in try file.children(of: full) {
                let name = relative.isEmpty ? child : relative + "/" + child
                switch try file.kind(of: group + "/" + name) {
                case .group: try walk(name)
                case .dataset: names.append(name)
                default: break
                }
            }
        }
        try walk("")
        return names
    }

    static func intAttribute(_ file: HDF5File, _ name: String) throws -> Int64 {
        guard let value = try file.attribute(name) else {
            throw CheckpointError.missingAttribute(file: file.path, name: name)
        }
        guard let v = value.int64Value else {
            throw CheckpointError.wrongAttributeType(file: file.path, name: name, expected: "an integer",
                                                     found: value.description)
        }
        return v
    }

    static func stringAttribute(_ file: HDF5File, _ name: String) throws -> String {
        guard let value = try file.attribute(name) else {
            throw CheckpointError.missingAttribute(file: file.path, name: name)
        }
        guard let v = value.stringValue else {
            throw CheckpointError.wrongAttributeType(file: file.path, name: name, expected: "a string",
                                                     found: value.description)
        }
        return v
    }
}

// MARK: - Durable file operations

/// fsync and rename with errors that name the path.
enum FileSync {
    /// Flushes the file or directory at `path` to stable storage.
    static func fsync(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError.io(path: path, operation: "open for fsync", message: errnoText()) }
        defer { close(fd) }
        guard Glibc.fsync(fd) == 0 else {
            throw CheckpointError.io(path: path, operation: "fsync", message: errnoText())
        }
    }

    /// Atomically replaces `destination` by `source` (same file system).
    static func rename(_ source: String, to destination: String) throws {
        guard Glibc.rename(source, destination) == 0 else {
            throw CheckpointError.io(path: destination, operation: "rename from \(source)", message: errnoText())
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
