import CMPI

/// Facts about the MPI library this binary is linked against.
public enum MPILibrary {
    /// `MPI_Get_library_version`: callable before `MPI_Init`.
    public static var version: String {
        var buf = [CChar](repeating: 0, count: Int(cmpi_max_library_version_string()) + 1)
        var len: Int32 = 0
        MPI_Get_library_version(&buf, &len)
        let text = String(cString: buf)
        return String(text.reversed().drop { $0.isWhitespace }.reversed())
    }

    /// `MPI_Get_version`: the standard version implemented, e.g. "3.1".
    public static var standard: String {
        var major: Int32 = 0, minor: Int32 = 0
        MPI_Get_version(&major, &minor)
        return "\(major).\(minor)"
    }
}

