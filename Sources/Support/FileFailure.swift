import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The system's reason for a failed Foundation file operation, for messages that name the file.
///
/// Foundation's own text is often a dump ("The operation could not be completed.
/// (NSCocoaErrorDomain error 512.)") or wrong for the case ("The file doesn't exist" when
/// the file system is read-only); the errno underneath says what happened.
public enum FileFailure {
    /// "Read-only file system", "Permission denied", "Not a directory", ...
    public static func reason(_ error: Error) -> String {
        if let code = errno(of: error) { return text(code) }
        let ns = error as NSError
        if ns.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: return text(ENOENT)
            case .fileReadNoPermission, .fileWriteNoPermission: return text(EACCES)
            case .fileWriteOutOfSpace: return text(ENOSPC)
            case .fileWriteVolumeReadOnly: return text(EROFS)
            case .fileReadInapplicableStringEncoding, .fileWriteInapplicableStringEncoding:
                return "not valid UTF-8 text"
            case .fileReadTooLarge: return "too large to read"
            default: break
            }
        }
        return ns.localizedDescription
    }

    /// The errno of a POSIX error, or of the error under a Foundation one.
    private static func errno(of error: Error) -> Int32? {
        if let posix = error as? POSIXError { return posix.code.rawValue }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error { return errno(of: underlying) }
        return nil
    }

    private static func text(_ code: Int32) -> String { String(cString: strerror(code)) }
}
