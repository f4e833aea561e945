import Foundation
import Support
import Tensor
#if canImport(Glibc)
import Glibc
#endif

// Weights at bfloat16: the transformers' matrices straight from the file to bfloat16
// (through the node's cache file), and back to float32 from the file when asked.

extension CLIPParameter {
    /// The matrices that products read in bfloat16 at PREC fp16: every transformer block's
    /// four Linear weights and the text projection; for a ViT also its blocks', the patch
    /// embedding and its projection (a ResNet tower stays float32).
    static func frozenMatrices(for architecture: CLIPArchitecture) -> [CLIPParameter] {
        let linear: [CLIPBlockParameter] = [.attnInWeight, .attnOutWeight, .fcWeight, .projWeight]
        func blocks(_ tower: CLIPTower, _ count: Int) -> [CLIPParameter] {
            (0..<count).flatMap { i in linear.map { CLIPParameter.block(tower, i, $0) } }
        }
        var result = blocks(.text, architecture.textLayers) + [CLIPParameter.global(.textProjection)]
        if !architecture.isResNet {
            result += blocks(.vision, architecture.visionLayers)
            result += [CLIPParameter.global(.patchEmbedding), .global(.visionProjection)]
        }
        return result
    }
}

extension CLIPWeights {
    /// The bfloat16 matrices of the weights `reader` reads, from `cache` (see ``BFloat16WeightCache``).
    static func loadBFloat16(reader: CLIPCheckpointReader, architecture: CLIPArchitecture, config: URL?,
                             cache: BFloat16WeightCache)
        throws -> ([CLIPParameter: BFloat16Matrix], BFloat16Storage) {
        let parameters = CLIPParameter.frozenMatrices(for: architecture)
        let shapes = parameters.map { p -> (rows: Int, columns: Int) in
            let shape = p.shape(architecture)
            return (shape[0], shape.dropFirst().reduce(1, *))
        }
        let (identity, name) = cacheIdentity(weights: reader.path, config: config?.path, architecture: architecture,
                                             naming: reader.naming)
        let (matrices, storage) = try BFloat16CacheFile.matrices(
            shapes: shapes, identity: identity, name: name, cache: cache,
            tensor: { try reader.finiteTensor(parameters[$0], architecture) },
            notify: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        return (Dictionary(uniqueKeysWithValues: zip(parameters, matrices)), storage)
    }

    /// What identifies the bfloat16 matrices of a weights file: the canonical paths, devices,
    /// inodes, sizes and modification times of the weights (and config) file, the architecture,
    /// the naming and the cache format; and the cache file's name made from it.
    static func cacheIdentity(weights: String, config: String?, architecture: CLIPArchitecture,
                              naming: CLIPCheckpointNaming) -> (identity: String, name: String) {
        func describe(_ path: String) -> String {
            var canonical = path
            if let resolved = realpath(path, nil) {
                canonical = String(cString: resolved)
                free(resolved)
            }
            var info = stat()
            guard stat(canonical, &info) == 0 else { return canonical }
            return "\(canonical) dev \(info.st_dev) inode \(info.st_ino) size \(info.st_size) "
                + "mtime \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
        let identity = "cocoop bfloat16 weights v\(BFloat16CacheFile.version)\nweights \(describe(weights))\n"
            + "config \(config.map(describe) ?? "none")\narchitecture \(architecture)\nnaming \(naming)\n"
        let stem = URL(fileURLWithPath: weights).deletingPathExtension().lastPathComponent
            .map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
        let hash = SHA256.hexDigest(of: Array(identity.utf8)).prefix(20)
        return (identity, "\(String(stem).prefix(60))-\(hash).bf16")
    }

    /// These weights with their matrices stored at `precision`: self if they already are;
    /// else the same float32 tensors (and file) with the matrices read again from the file:
    /// for float32, as ``load(from:precision:cache:)`` reads them; for bfloat16, through `cache`.
    public func at(_ precision: MatmulPrecision, cache: BFloat16WeightCache = .environment) throws -> CLIPWeights {
        if precision == self.precision { return self }
        var parameters = self.parameters
        var bfloat16: [CLIPParameter: BFloat16Matrix] = [:], storage = BFloat16Storage.none
        let matrices = CLIPParameter.frozenMatrices(for: architecture)
        switch precision {
        case .float32:
            for p in matrices { parameters[p] = try reader.finiteTensor(p, architecture) }
        case .bfloat16:
            for p in matrices { parameters[p] = nil }
            (bfloat16, storage) = try Self.loadBFloat16(reader: reader, architecture: architecture,
                                                        config: configSource, cache: cache)
        }
        return CLIPWeights(architecture: architecture, parameters: parameters, resNet: resNet,
                           logitScale: logitScale, file: reader.file, reader: reader, configSource: configSource,
                           warnings: warnings, bfloat16: bfloat16, storage: storage)
    }
}
