import CHDF5
import Foundation

/// A scalar attribute value: a UTF-8 string, a 64-bit integer or a double.
public enum HDF5AttributeValue: Equatable, Sendable, CustomStringConvertible {
    case string(String)
    case int64(Int64)
    case double(Double)

    /// The string, if this is one.
    public var stringValue: String? { if case let .string(s) = self { return s } else { return nil } }
    /// The integer, if this is one.
    public var int64Value: Int64? { if case let .int64(v) = self { return v } else { return nil } }
    /// The number as Double (integers converted), if this is a number.
    public var doubleValue: Double? {
        switch self {
        case let .double(v): return v
        case let .int64(v): return Double(v)
        case .string: return nil
        }
    }

    public var description: String {
        switch self {
        case let .string(s): return "\"\(s)\""
        case let .int64(v): return "\(v)"
        case let .double(v): return "\(v)"
        }
    }
}

extension HDF5File {
    // MARK: - Writing

    /// Removes the attribute `name` of the object at `objectPath` (default: the root group),
    /// if it exists.
    public func removeAttribute(_ name: String, of objectPath: String = "/") throws {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            let ctx = context(full + "@" + name)
            guard try kindLocked(full) != nil else { throw HDF5Error.notFound(file: path, object: full) }
            try using(try ctx.id("H5Oopen", H5Oopen(id, full, chdf5_p_default())), { H5Oclose($0) }) { object in
                if try ctx.truth("H5Aexists", H5Aexists(object, name)) {
                    try ctx.check("H5Adelete", H5Adelete(object, name))
                }
            }
        }
    }

    /// Sets the scalar attribute `name` on the group or dataset at `objectPath` (default:
    /// the root group), replacing an existing one. Strings are variable-length UTF-8.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue, on objectPath: String = "/") throws {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            let ctx = context(full + "@" + name)
            try validateAttributeName(name, object: full)
            guard try kindLocked(full) != nil else { throw HDF5Error.notFound(file: path, object: full) }
            try using(try ctx.id("H5Oopen", H5Oopen(id, full, chdf5_p_default())), { H5Oclose($0) }) { object in
                if try ctx.truth("H5Aexists", H5Aexists(object, name)) {
                    try ctx.check("H5Adelete", H5Adelete(object, name))
                }
                let space = try ctx.id("H5Screate", H5Screate(H5S_SCALAR))
                defer { H5Sclose(space) }
                switch value {
                case let .int64(v):
                    try writeAttribute(object, name, fileType: chdf5_std_i64le(), memType: chdf5_native_int64(),
                                       space: space, value: v, ctx: ctx)
                case let .double(v):
                    try writeAttribute(object, name, fileType: chdf5_ieee_f64le(), memType: chdf5_native_double(),
                                       space: space, value: v, ctx: ctx)
                case let .string(s):
                    guard !s.contains("\0") else {
                        throw HDF5Error.invalidName(file: path, name: name,
                                                    reason: "attribute strings cannot contain NUL")
                    }
                    try using(try variableStringType(ctx), { H5Tclose($0) }) { type in
                        let attribute = try ctx.id("H5Acreate2", H5Acreate2(object, name, type, space,
                                                                            chdf5_p_default(), chdf5_p_default()))
                        defer { H5Aclose(attribute) }
                        try s.withCString { cString in
                            var pointer: UnsafePointer<CChar>? = cString
                            try ctx.check("H5Awrite", H5Awrite(attribute, type, &pointer))
                        }
                    }
                }
            }
        }
    }

    private func writeAttribute<T: HDF5Numeric>(_ object: hid_t, _ name: String, fileType: hid_t, memType: hid_t,
                                   space: hid_t, value: T, ctx: H5Context) throws {
        let attribute = try ctx.id("H5Acreate2",
                                   H5Acreate2(object, name, fileType, space, chdf5_p_default(), chdf5_p_default()))
        defer { H5Aclose(attribute) }
        _ = try withUnsafeBytes(of: value) { bytes in
            try ctx.check("H5Awrite", H5Awrite(attribute, memType, bytes.baseAddress))
        }
    }

    private func validateAttributeName(_ name: String, object: String) throws {
        guard !name.isEmpty, !name.contains("\0") else {
            throw HDF5Error.invalidName(file: path, name: name,
                                        reason: "attribute names must be non-empty, without NUL")
        }
    }

    // MARK: - Reading

    /// The scalar attribute `name` of the object at `objectPath`, or nil when absent.
    /// Integers of any size read as `.int64`, floats as `.double`, strings of either kind
    /// (variable or fixed length) as `.string`.
    public func attribute(_ name: String, of objectPath: String = "/") throws -> HDF5AttributeValue? {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            let where_ = full + "@" + name
            let ctx = context(where_)
            try validateAttributeName(name, object: full)
            guard try kindLocked(full) != nil else { throw HDF5Error.notFound(file: path, object: full) }
            return try using(try ctx.id("H5Oopen", H5Oopen(id, full, chdf5_p_default())), { H5Oclose($0) }) { object in
                guard try ctx.truth("H5Aexists", H5Aexists(object, name)) else { return nil }
                let attribute = try ctx.id("H5Aopen", H5Aopen(object, name, chdf5_p_default()))
                defer { H5Aclose(attribute) }
                let space = try ctx.id("H5Aget_space", H5Aget_space(attribute))
                defer { H5Sclose(space) }
                guard H5Sget_simple_extent_npoints(space) == 1 else {
                    throw HDF5Error.typeMismatch(file: path, object: where_, expected: "a scalar attribute",
                                                 found: "an array")
                }
                let type = try ctx.id("H5Aget_type", H5Aget_type(attribute))
                defer { H5Tclose(type) }
                switch H5Tget_class(type) {
                case H5T_INTEGER:
                    var v: Int64 = 0
                    try ctx.check("H5Aread", H5Aread(attribute, chdf5_native_int64(), &v))
                    return .int64(v)
                case H5T_FLOAT:
                    var v = 0.0
                    try ctx.check("H5Aread", H5Aread(attribute, chdf5_native_double(), &v))
                    return .double(v)
                case H5T_STRING:
                    if try ctx.truth("H5Tis_variable_str", H5Tis_variable_str(type)) {
                        return try using(try variableStringType(ctx), { H5Tclose($0) }) { memType in
                            var pointer: UnsafeMutablePointer<CChar>? = nil
                            try ctx.check("H5Aread", H5Aread(attribute, memType, &pointer))
                            let s = pointer.map { String(cString: $0) } ?? ""
                            try ctx.check("H5Dvlen_reclaim", chdf5_reclaim_vlen(memType, space, &pointer))
                            return .string(s)
                        }
                    }
                    let size = H5Tget_size(type)
                    var bytes = [CChar](repeating: 0, count: size)
                    try ctx.check("H5Aread", H5Aread(attribute, type, &bytes))
                    return .string(fixedString(bytes[...]))
                default:
                    throw HDF5Error.typeMismatch(file: path, object: where_, expected: "a string or number",
                                                 found: typeName(type))
                }
            }
        }
    }

    /// The names of the attributes of the object at `objectPath`, in name order.
    public func attributeNames(of objectPath: String = "/") throws -> [String] {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            let ctx = context(full)
            guard try kindLocked(full) != nil else { throw HDF5Error.notFound(file: path, object: full) }
            return try using(try ctx.id("H5Oopen", H5Oopen(id, full, chdf5_p_default())), { H5Oclose($0) }) { object in
                var names: [String] = []
                var index: hsize_t = 0
                _ = try withUnsafeMutablePointer(to: &names) { box in
                    try ctx.check("H5Aiterate2", H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, {
                        _, name, _, data in
                        guard let name, let data else { return -1 }
                        data.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name))
                        return 0
                    }, box))
                }
                return names
            }
        }
    }
}
