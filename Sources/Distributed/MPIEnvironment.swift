/// Facts about the MPI library this binary is linked against.
public enum MPILibrary {
    /// `MPI_Get_library_version`: callable before `MPI_Init`.
    public static var version: String {
        let text = MPICalls.libraryVersion()
        return String(text.reversed().drop { $0.isWhitespace }.reversed())
    }

    /// `MPI_Get_version`: the standard version implemented, e.g. "3.1".
    public static var standard: String {
        let (major, minor) = MPICalls.standardVersion()
        return "\(major).\(minor)"
    }
}
