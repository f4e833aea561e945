/// Datasets in CoOp's layouts, few-shot sampling, transforms and deterministic sharding.
public enum Datasets {}
