/// Small utilities every layer may use (hashing, file helpers). Depends on nothing.
public enum Support {}
