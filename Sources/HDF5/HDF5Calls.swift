import CHDF5
import Foundation

/// The one layer between Swift and HDF5's return codes.
///
/// HDF5 reports failure as a negative `herr_t` or `hid_t` and keeps the reasons on an error
/// stack; `H5Context` turns such a result into `HDF5Error.callFailed` with the routine, the
/// file, the object path and the innermost message of the stack. All HDF5 use happens while
/// holding one process-wide lock (the library may be built without thread safety, and its
/// error stack would otherwise mix threads' errors).
enum HDF5Calls {
    // MARK: - Serialisation

    private static let lock = NSRecursiveLock()

    /// Before the library's first call: no exit-time cleanup. HDF5's atexit handler closes the
    /// files still open, and a file whose close failed (a full disk) stays open and crashes it
    /// (SIGSEGV at exit, after the error was reported). Every file is closed explicitly here,
    /// so the handler has nothing of ours to do.
    private static let noExitCleanup: Void = { _ = H5dont_atexit() }()

    /// Runs `body` holding the HDF5 lock, with automatic error printing switched off.
    static func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        _ = noExitCleanup
        chdf5_silence_errors() // per thread in thread-safe builds, so every time
        return try body()
    }

    // MARK: - Error stack

    /// The messages on HDF5's error stack, outermost (the API routine) first; clears it.
    static func takeErrorStack() -> [String] {
        var messages: [String] = []
        withUnsafeMutablePointer(to: &messages) { box in
            _ = H5Ewalk2(chdf5_e_default(), H5E_WALK_DOWNWARD, { _, error, data in
                guard let error, let data else { return 0 }
                let list = data.assumingMemoryBound(to: [String].self)
                let function = error.pointee.func_name.map { String(cString: $0) } ?? "?"
                let text = error.pointee.desc.map { String(cString: $0) } ?? "(no description)"
                list.pointee.append("\(function)(): \(text)")
                return 0
            }, box)
        }
        _ = H5Eclear2(chdf5_e_default())
        return messages
    }
}

/// Where an HDF5 call happens: the file path and, when there is one, the object path.
struct H5Context {
    let file: String
    let object: String?

    /// The error for `routine` failing here, with the innermost HDF5 message as detail.
    func failure(_ routine: String) -> HDF5Error {
        let stack = HDF5Calls.takeErrorStack()
        let detail: String
        if let innermost = stack.last {
            // "H5Z__filter_fletcher32(): data error ..." -> "data error ..."
            detail = innermost.range(of: "(): ").map { String(innermost[$0.upperBound...]) } ?? innermost
        } else {
            detail = "no message on the HDF5 error stack"
        }
        return .callFailed(routine: routine, file: file, object: object, detail: detail)
    }

    /// Throws unless `status` is non-negative.
    @discardableResult
    func check(_ routine: String, _ status: herr_t) throws -> herr_t {
        if status < 0 { throw failure(routine) }
        return status
    }

    /// Returns `id`, or throws when it is negative (HDF5's failure value).
    func id(_ routine: String, _ id: hid_t) throws -> hid_t {
        if id < 0 { throw failure(routine) }
        return id
    }

    /// Returns a tri-state answer (`htri_t`) as Bool, or throws when it is negative.
    func truth(_ routine: String, _ value: htri_t) throws -> Bool {
        if value < 0 { throw failure(routine) }
        return value > 0
    }

    /// The same file with another object path.
    func at(_ object: String?) -> H5Context { H5Context(file: file, object: object) }
}

// MARK: - Handles

/// Runs `body` with `id` and closes the id with `closer` afterwards, whatever happens.
func using<R>(_ id: hid_t, _ closer: (hid_t) -> herr_t, _ body: (hid_t) throws -> R) rethrows -> R {
    defer { _ = closer(id) }
    return try body(id)
}
