import CHDF5

/// Facts about the HDF5 library this binary is linked against.
public enum HDF5Library {
    /// `H5get_libversion`, e.g. "1.10.8".
    public static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }
}
