/// Image decoding (JPEG through TurboJPEG, PNG through libpng's simplified API) and
/// Pillow-exact resampling. Filled in by the CLIP issue.
public enum Imaging {}
