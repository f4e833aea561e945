/// The run configuration: Dassl/CoOp-compatible YAML keys, defaults, overrides.
public enum Config {}
