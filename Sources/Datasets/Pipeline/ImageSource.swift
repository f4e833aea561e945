import Foundation

// MARK: - ImageSource

/// Where the encoded bytes (JPEG / PNG file contents) of a datum's image come from: the
/// dataset folder (`FolderImageSource`) or a packed HDF5 file (`PackedImageSource`).
///
/// Implementations are used from several loader threads at once.
public protocol ImageSource: Sendable {
    /// The image file's bytes, exactly as stored.
    /// - Throws: `ImageLoadError` naming the image (`.missingImage`, `.unreadable`, `.notInPack`).
    func encodedImage(for datum: Datum) throws -> [UInt8]

    /// How messages name the image of `datum` (its path; for a pack, "pack.h5[relative/path]").
    func displayName(for datum: Datum) -> String

    /// One line saying where images come from ("image files", "pack /data/pets.h5").
    var sourceDescription: String { get }
}

// MARK: - FolderImageSource

/// Reads `datum.imagePath` from the file system.
public struct FolderImageSource: ImageSource {
    /// A source reading image files.
    public init() {}

    /// "image files".
    public var sourceDescription: String { "image files" }

    /// The image path.
    public func displayName(for datum: Datum) -> String { datum.imagePath }

    /// The file's bytes.
    /// - Throws: `ImageLoadError.missingImage` when there is no such file, `.unreadable`
    ///   when it cannot be read (a folder, no permission, an I/O error).
    public func encodedImage(for datum: Datum) throws -> [UInt8] {
        try Self.readFile(datum.imagePath)
    }

    /// Reads a whole file with POSIX calls (one allocation, no Foundation bridging).
    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw ImageLoadError.missingImage(path: path) }
            throw ImageLoadError.unreadable(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ImageLoadError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ImageLoadError.unreadable(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        return try [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    count = 0
                    let reason = n == 0 ? "file shrank while reading (\(done) of \(size) bytes)"
                                        : String(cString: strerror(errno))
                    throw ImageLoadError.unreadable(path: path, reason: reason)
                }
                done += n
            }
            count = size
        }
    }
}
