import CHDF5
import Foundation

/// What an object path names.
public enum HDF5ObjectKind: Sendable, Equatable {
    case group, dataset, other
}

/// An open HDF5 file (serial HDF5). The only type through which the rest of the code reads
/// and writes HDF5: nothing else sees an HDF5 id.
///
/// Objects are addressed by absolute paths such as `/params/meta_net/linear1/weight`;
/// writing a dataset creates missing groups on the way. Every failure is an `HDF5Error`
/// naming the routine, this file and the object path. The file is closed by `close()` or
/// when the object is released.
public final class HDF5File {
    // MARK: - State

    /// How an existing file is opened.
    public enum Mode: Sendable {
        case readOnly, readWrite
    }

    /// The file's path as given.
    public let path: String
    private(set) var id: hid_t
    private var isOpen = true

    private init(path: String, id: hid_t) {
        self.path = path
        self.id = id
    }

    deinit {
        if isOpen { HDF5Calls.locked { _ = H5Fclose(id) } }
    }

    /// The error context for `object` in this file.
    func context(_ object: String? = nil) -> H5Context { H5Context(file: path, object: object) }

    // MARK: - Opening and closing

    /// Creates a new file at `path`, replacing an existing one when `overwrite` is true.
    /// The file uses the HDF5 1.8 object format or newer, whose metadata carries checksums.
    public static func create(_ path: String, overwrite: Bool = true) throws -> HDF5File {
        try HDF5Calls.locked {
            let ctx = H5Context(file: path, object: nil)
            let fapl = try fileAccessList(ctx)
            defer { H5Pclose(fapl) }
            try ctx.check("H5Pset_libver_bounds", H5Pset_libver_bounds(fapl, chdf5_libver_v18(), chdf5_libver_latest()))
            let flags = overwrite ? chdf5_f_acc_trunc() : chdf5_f_acc_excl()
            let id = try ctx.id("H5Fcreate", H5Fcreate(path, flags, chdf5_p_default(), fapl))
            setCloseOnExec(id, fapl)
            return HDF5File(path: path, id: id)
        }
    }

    /// Opens an existing file.
    public static func open(_ path: String, mode: Mode = .readOnly) throws -> HDF5File {
        try HDF5Calls.locked {
            let ctx = H5Context(file: path, object: nil)
            guard FileManager.default.fileExists(atPath: path) else {
                throw HDF5Error.callFailed(routine: "H5Fopen", file: path, object: nil, detail: "no such file")
            }
            let fapl = try fileAccessList(ctx)
            defer { H5Pclose(fapl) }
            let flags = mode == .readOnly ? chdf5_f_acc_rdonly() : chdf5_f_acc_rdwr()
            let id = try ctx.id("H5Fopen", H5Fopen(path, flags, fapl))
            setCloseOnExec(id, fapl)
            return HDF5File(path: path, id: id)
        }
    }

    /// A file-access property list without HDF5's flock()-based file locking: checkpoints
    /// are replaced by rename, not shared between writers, and locking fails on many
    /// cluster file systems and (via descriptors inherited by child processes) in tests.
    private static func fileAccessList(_ ctx: H5Context) throws -> hid_t {
        let fapl = try ctx.id("H5Pcreate", H5Pcreate(chdf5_p_file_access()))
        if chdf5_disable_file_locking(fapl) < 0 {
            H5Pclose(fapl)
            throw ctx.failure("H5Pset_file_locking")
        }
        return fapl
    }

    /// Marks the file's descriptor close-on-exec so that child processes (mpirun, h5dump)
    /// do not keep it open. Best effort: a driver without a descriptor is left alone.
    private static func setCloseOnExec(_ file: hid_t, _ fapl: hid_t) {
        var handle: UnsafeMutableRawPointer? = nil
        guard chdf5_uses_sec2_driver(fapl) != 0, H5Fget_vfd_handle(file, fapl, &handle) >= 0, let handle else {
            _ = H5Eclear2(chdf5_e_default())
            return
        }
        let fd = handle.load(as: Int32.self)
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }

    /// Writes HDF5's buffers for this file to the operating system (`H5Fflush`).
    public func flush() throws {
        try HDF5Calls.locked {
            try ensureOpen()
            try context().check("H5Fflush", H5Fflush(id, H5F_SCOPE_GLOBAL))
        }
    }

    /// Closes the file; later calls do nothing. Errors while closing (e.g. a full disk
    /// when the last metadata is written) are thrown.
    public func close() throws {
        try HDF5Calls.locked {
            guard isOpen else { return }
            isOpen = false
            try context().check("H5Fclose", H5Fclose(id))
        }
    }

    func ensureOpen() throws {
        guard isOpen else {
            throw HDF5Error.callFailed(routine: "(closed file)", file: path, object: nil,
                                       detail: "the file was already closed")
        }
    }

    // MARK: - Paths

    /// `objectPath` split into components ("/" has none, "" is rejected); throws on
    /// empty components, "." and "..".
    func components(_ objectPath: String) throws -> [Substring] {
        guard !objectPath.isEmpty else {
            throw HDF5Error.invalidName(file: path, name: objectPath, reason: "empty path")
        }
        var rest = Substring(objectPath)
        if rest.hasPrefix("/") { rest = rest.dropFirst() }
        if rest.isEmpty { return [] }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        for p in parts where p.isEmpty || p == "." || p == ".." || p.contains("\0") {
            throw HDF5Error.invalidName(file: path, name: objectPath,
                                        reason: "components must be non-empty, not '.' or '..', without NUL")
        }
        return parts
    }

    /// The absolute form of `objectPath` ("a/b" -> "/a/b").
    func absolute(_ objectPath: String) throws -> String {
        "/" + (try components(objectPath)).joined(separator: "/")
    }

    // MARK: - Groups

    /// Creates the group at `groupPath` and any missing parents; an existing group is fine.
    public func createGroup(_ groupPath: String) throws {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(groupPath)
            if full == "/" { return }
            if let kind = try kindLocked(full) {
                guard kind == .group else {
                    throw HDF5Error.typeMismatch(file: path, object: full, expected: "a group", found: "a \(kind)")
                }
                return
            }
            let ctx = context(full)
            let lcpl = try linkCreationList(ctx)
            defer { H5Pclose(lcpl) }
            let group = try ctx.id("H5Gcreate2", H5Gcreate2(id, full, lcpl, chdf5_p_default(), chdf5_p_default()))
            try ctx.check("H5Gclose", H5Gclose(group))
        }
    }

    /// A link-creation property list that creates missing intermediate groups.
    func linkCreationList(_ ctx: H5Context) throws -> hid_t {
        let lcpl = try ctx.id("H5Pcreate", H5Pcreate(chdf5_p_link_create()))
        do {
            try ctx.check("H5Pset_create_intermediate_group", H5Pset_create_intermediate_group(lcpl, 1))
            try ctx.check("H5Pset_char_encoding", H5Pset_char_encoding(lcpl, H5T_CSET_UTF8))
        } catch {
            H5Pclose(lcpl)
            throw error
        }
        return lcpl
    }

    /// What `objectPath` names, or nil when nothing is there.
    public func kind(of objectPath: String) throws -> HDF5ObjectKind? {
        try HDF5Calls.locked {
            try ensureOpen()
            return try kindLocked(try absolute(objectPath))
        }
    }

    /// Whether `objectPath` names a group or dataset.
    public func exists(_ objectPath: String) throws -> Bool {
        try kind(of: objectPath) != nil
    }

    func kindLocked(_ full: String) throws -> HDF5ObjectKind? {
        if full == "/" { return .group }
        let parts = try components(full)
        var prefix = ""
        for p in parts {
            prefix += "/" + p
            let ctx = context(prefix)
            guard try ctx.truth("H5Lexists", H5Lexists(id, prefix, chdf5_p_default())) else { return nil }
        }
        let ctx = context(full)
        let object = try ctx.id("H5Oopen", H5Oopen(id, full, chdf5_p_default()))
        defer { H5Oclose(object) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    /// Throws `notFound` unless `full` is an object of `kind`.
    func require(_ full: String, is kind: HDF5ObjectKind) throws {
        guard let found = try kindLocked(full) else { throw HDF5Error.notFound(file: path, object: full) }
        guard found == kind else {
            throw HDF5Error.typeMismatch(file: path, object: full, expected: "a \(kind)", found: "a \(found)")
        }
    }

    /// The names of the links in the group at `groupPath`, in name order.
    public func children(of groupPath: String = "/") throws -> [String] {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(groupPath)
            try require(full, is: .group)
            let ctx = context(full)
            return try using(try ctx.id("H5Gopen2", H5Gopen2(id, full, chdf5_p_default())), { H5Gclose($0) }) { group in
                var info = H5G_info_t()
                try ctx.check("H5Gget_info", H5Gget_info(group, &info))
                var names: [String] = []
                for i in 0..<info.nlinks {
                    let length = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0,
                                                    chdf5_p_default())
                    if length < 0 { throw ctx.failure("H5Lget_name_by_idx") }
                    var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                    let written = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i,
                                                     &buffer, buffer.count, chdf5_p_default())
                    if written < 0 { throw ctx.failure("H5Lget_name_by_idx") }
                    names.append(String(cString: buffer))
                }
                return names
            }
        }
    }
}
