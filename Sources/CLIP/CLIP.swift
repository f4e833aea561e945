/// The frozen CLIP model: weights, tokeniser, text and vision encoders.
public enum CLIP {}
