// swift-tools-version:6.0
// cocoop-swift: CoCoOp / CoOp prompt learning on a frozen CLIP, as an MPI data-parallel
// training daemon. Depends only on the toolchain and C libraries found through pkg-config.
import PackageDescription

#if arch(x86_64)
let avx2Flags = ["-target-cpu", "haswell"]
// Skylake-X's AVX-512 (F, CD, BW, DQ, VL) with 512-bit vectors: that target's tuning prefers
// 256-bit ones, and the element-wise loops ran 1.6x faster with 512 (AMD EPYC, Zen 4).
let avx512Flags = ["-target-cpu", "skylake-avx512"]
    + ["-Xclang", "-target-feature", "-Xclang", "-prefer-256-bit"].flatMap { ["-Xcc", $0] }
#else
let avx2Flags: [String] = []
let avx512Flags: [String] = []
#endif

let package = Package(
    name: "cocoop-swift",
    products: [
        .executable(name: "cocoop", targets: ["cocoop"]),
    ],
    targets: [
        // MARK: - C libraries (module maps + shim headers for macro constants)
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5-serial",
                       providers: [.apt(["libhdf5-dev", "hdf5-tools"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1",
                       providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev", "libjpeg62-turbo-dev"])]), // the decoder uses libjpeg
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // oneDNN ships no pkg-config file: the module map links dnnl, headers in oneapi/dnnl/.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // MARK: - Swift modules (arrows point down: cocoop -> ... -> Tensor -> C)
        .target(name: "Support"),
        .target(name: "Gunzip", dependencies: ["CZlib"]),
        .target(name: "TorchFormats", dependencies: ["Support"]),
        // The element-wise loops, written once and compiled three times: for baseline x86-64
        // (in Tensor), for AVX2 (SIMDLoopsAVX2) and for AVX-512 (SIMDLoopsAVX512, from the same
        // file through a link), which Tensor calls where the CPU has them.
        .target(name: "SIMDLoops"),
        // Optimised in debug builds too: the tests' small products run through them. Only
        // x86-64 hosts have these targets (elsewhere SIMDLevel never calls these copies).
        .target(name: "SIMDLoopsAVX2", dependencies: ["SIMDLoops"],
                swiftSettings: [.unsafeFlags(avx2Flags + ["-O"])]),
        .target(name: "SIMDLoopsAVX512", dependencies: ["SIMDLoops"],
                swiftSettings: [.unsafeFlags(avx512Flags + ["-O"])]),
        .target(name: "Tensor", dependencies: ["COpenBLAS", "CDNNL", "SIMDLoops", "SIMDLoopsAVX2", "SIMDLoopsAVX512"]),
        .target(name: "Imaging", dependencies: ["CTurboJPEG", "CPNG", "Support"]),
        .target(name: "CLIP", dependencies: ["Tensor", "Support", "Gunzip", "TorchFormats"],
                resources: [.copy("Resources/bpe_simple_vocab_16e6.txt.gz")]),
        .target(name: "PromptLearning", dependencies: ["CLIP", "Tensor", "Support", "TorchFormats"]),
        .target(name: "Datasets", dependencies: ["Imaging", "HDF5", "Support", "TorchFormats"]),
        .target(name: "Config", dependencies: ["CYAML", "Support"]),
        .target(name: "Distributed", dependencies: ["CMPI"]),
        .target(name: "HDF5", dependencies: ["CHDF5"]),
        .target(name: "Checkpoint", dependencies: ["HDF5", "Support"]),
        .target(name: "RunState", dependencies: ["Checkpoint", "Config", "HDF5", "PromptLearning"]),
        .target(name: "Training", dependencies: ["RunState", "PromptLearning", "CLIP", "Datasets", "Config",
                                                 "Distributed", "Checkpoint", "Imaging", "Tensor", "Support"]),
        .target(name: "Sweeps", dependencies: ["Training", "CLIP", "Config", "Distributed", "Support", "Tensor"]),
        // The CLI imports no C module: C libraries are reached through the modules above.
        .executableTarget(name: "cocoop",
                          dependencies: ["Support", "Gunzip", "Tensor", "Imaging", "CLIP", "PromptLearning",
                                         "Training", "Sweeps", "Datasets", "Config", "Distributed", "HDF5",
                                         "Checkpoint"]),

        // The fuzz harness: Scripts/fuzz.sh builds it with -sanitize=fuzzer,address; a plain
        // build replays inputs (the regression tests run Tests/Fuzz/regressions through it).
        .executableTarget(name: "cocoop-fuzz", dependencies: ["Support", "CLIP", "Config", "Datasets",
                                                              "Checkpoint", "Imaging", "TorchFormats"],
                          path: "Tests/Fuzz/Harness"),

        // MARK: - Tests
        // Helpers shared by the test targets: relative error, temporary folders, running the
        // built binary (and mpirun) with a deadline. Foundation only: no XCTest, no Testing.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SupportTests", dependencies: ["Support", "TestSupport"]),
        .testTarget(name: "GunzipTests", dependencies: ["Gunzip", "TestSupport"]),
        .testTarget(name: "TorchFormatsTests", dependencies: ["TorchFormats", "Support", "TestSupport"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "CTurboJPEG", "TestSupport"]),  // TurboJPEG: oracle
        .testTarget(name: "CLIPTests", dependencies: ["CLIP", "Tensor", "Support", "TorchFormats", "TestSupport"]),
        .testTarget(name: "PromptLearningTests", dependencies: ["PromptLearning", "CLIP", "Tensor", "Support",
                                                                "TorchFormats", "TestSupport"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Imaging", "Support", "TorchFormats",
                                                          "TestSupport"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "cocoop", "TestSupport"]),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "HDF5", "TestSupport"]),
        .testTarget(name: "RunStateTests", dependencies: ["RunState", "Checkpoint", "Config", "HDF5", "PromptLearning",
                                                          "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "CLIP", "Config", "PromptLearning", "Tensor",
                                                          "Support", "TestSupport"]),
        .testTarget(name: "SweepsTests", dependencies: ["Sweeps", "Config", "Support", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["cocoop", "cocoop-fuzz", "Support", "Checkpoint", "Imaging",
                                                          "Tensor", "TorchFormats", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
