import CHDF5
import Foundation

// MARK: - Byte arrays

/// 1-D uint8 datasets written and read piece by piece: a long stream of bytes (e.g. every
/// encoded image of a dataset, concatenated) that never has to fit in memory at once.
///
/// Such a dataset is stored CONTIGUOUS and unfiltered, so its bytes lie in one run of the
/// file: `contiguousByteRange(of:)` gives that run and readers may `pread` it directly,
/// in parallel and without HDF5's process-wide lock. h5py reads it as a `uint8` array.
extension HDF5File {
    /// Creates a 1-D uint8 dataset of `count` bytes at `objectPath` (creating missing
    /// groups), contiguous, unfiltered, never pre-filled: fill it with `writeBytes`.
    public func createByteDataset(_ objectPath: String, count: Int) throws {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            let ctx = context(full)
            guard count >= 0 else {
                throw HDF5Error.shapeMismatch(file: path, object: full, shape: [count], valueCount: 0)
            }
            var dims = [hsize_t(count)]
            try using(try ctx.id("H5Screate_simple", H5Screate_simple(1, &dims, nil)), { H5Sclose($0) }) { space in
                try using(try ctx.id("H5Pcreate", H5Pcreate(chdf5_p_dataset_create())), { H5Pclose($0) }) { dcpl in
                    try ctx.check("H5Pset_layout", H5Pset_layout(dcpl, H5D_CONTIGUOUS))
                    try ctx.check("H5Pset_fill_time", H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER))
                    let lcpl = try linkCreationList(ctx)
                    defer { H5Pclose(lcpl) }
                    let dataset = try ctx.id("H5Dcreate2", H5Dcreate2(id, full, chdf5_native_uint8(), space, lcpl,
                                                                      dcpl, chdf5_p_default()))
                    try ctx.check("H5Dclose", H5Dclose(dataset))
                }
            }
        }
    }

    /// Writes `bytes` into the 1-D byte dataset at `objectPath`, starting at element `offset`.
    public func writeBytes(_ bytes: UnsafeRawBufferPointer, at offset: Int, to objectPath: String) throws {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            try withByteSelection(full, offset: offset, count: bytes.count) { dataset, memory, file, ctx in
                try ctx.check("H5Dwrite", H5Dwrite(dataset, chdf5_native_uint8(), memory, file,
                                                   chdf5_p_default(), bytes.baseAddress))
            }
        }
    }

    /// Reads `buffer.count` bytes of the 1-D byte dataset at `objectPath` from element
    /// `offset` on, through HDF5 (works for any layout, filters included).
    public func readBytes(_ objectPath: String, at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            try withByteSelection(full, offset: offset, count: buffer.count) { dataset, memory, file, ctx in
                try ctx.check("H5Dread", H5Dread(dataset, chdf5_native_uint8(), memory, file,
                                                 chdf5_p_default(), buffer.baseAddress))
            }
        }
    }

    /// Where the bytes of the 1-D byte dataset at `objectPath` lie in the file, when they
    /// lie in one unfiltered run (contiguous layout, no filters, no external files); nil
    /// otherwise (e.g. after `h5repack` compressed it). An empty dataset gives an empty range.
    public func contiguousByteRange(of objectPath: String) throws -> Range<Int>? {
        try HDF5Calls.locked {
            try ensureOpen()
            let full = try absolute(objectPath)
            return try withDataset(full) { dataset, ctx in
                let count = try byteDatasetCount(dataset, full: full, ctx: ctx)
                let dcpl = try ctx.id("H5Dget_create_plist", H5Dget_create_plist(dataset))
                defer { H5Pclose(dcpl) }
                guard H5Pget_layout(dcpl) == H5D_CONTIGUOUS, H5Pget_nfilters(dcpl) == 0,
                      H5Pget_external_count(dcpl) == 0 else { return nil }
                if count == 0 { return 0..<0 }
                let address = H5Dget_offset(dataset)
                guard address != haddr_t.max else {
                    _ = H5Eclear2(chdf5_e_default())
                    return nil // storage not allocated (never written)
                }
                return Int(address)..<(Int(address) + count)
            }
        }
    }

    // MARK: - Helpers

    /// The element count of a 1-D dataset of one-byte integers; throws otherwise.
    private func byteDatasetCount(_ dataset: hid_t, full: String, ctx: H5Context) throws -> Int {
        try using(try ctx.id("H5Dget_type", H5Dget_type(dataset)), { H5Tclose($0) }) { type in
            guard H5Tget_class(type) == H5T_INTEGER, H5Tget_size(type) == 1 else {
                throw HDF5Error.typeMismatch(file: path, object: full, expected: "uint8", found: typeName(type))
            }
        }
        let shape = try datasetShape(dataset, ctx)
        guard shape.count == 1 else {
            throw HDF5Error.typeMismatch(file: path, object: full, expected: "a 1-D byte array",
                                         found: "shape \(shape)")
        }
        return shape[0]
    }

    /// Opens the byte dataset `full` with elements `offset ..< offset + count` selected in
    /// the file and a matching memory space, for `body(dataset, memorySpace, fileSpace, ctx)`.
    private func withByteSelection(_ full: String, offset: Int, count: Int,
                                   _ body: (hid_t, hid_t, hid_t, H5Context) throws -> Void) throws {
        try withDataset(full) { dataset, ctx in
            let total = try byteDatasetCount(dataset, full: full, ctx: ctx)
            guard offset >= 0, count >= 0, offset + count <= total else {
                throw HDF5Error.callFailed(routine: "H5Sselect_hyperslab", file: path, object: full,
                                           detail: "bytes \(offset)..<\(offset + count) outside 0..<\(total)")
            }
            guard count > 0 else { return }
            try using(try ctx.id("H5Dget_space", H5Dget_space(dataset)), { H5Sclose($0) }) { fileSpace in
                var start = [hsize_t(offset)], extent = [hsize_t(count)]
                try ctx.check("H5Sselect_hyperslab",
                              H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &extent, nil))
                try using(try ctx.id("H5Screate_simple", H5Screate_simple(1, &extent, nil)), { H5Sclose($0) }) {
                    try body(dataset, $0, fileSpace, ctx)
                }
            }
        }
    }
}
