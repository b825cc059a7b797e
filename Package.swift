// swift-tools-version:6.1
// maskgit-rpc: a MaskGIT image-editing backend that speaks line-delimited JSON-RPC 2.0 on stdio.
// Module map and allowed imports: Docs/Modules.md.
import PackageDescription

let package = Package(
    name: "maskgit-rpc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "maskgit-rpc", targets: ["maskgit-rpc"]),
        .executable(name: "maskgit-cli", targets: ["maskgit-cli"]),
        .library(name: "ImageCodecs", targets: ["ImageCodecs"]),
        .library(name: "Tensors", targets: ["Tensors"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: System libraries (Debian packages named as providers; see scripts/setup)

        // OpenBLAS through its CBLAS header. Only Tensors/BLAS.swift imports it.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // oneDNN 2.6 (Debian libdnnl-dev, which ships no pkg-config file). Only DNNLKernels uses it.
        .systemLibrary(
            name: "CDNNL",
            providers: [.apt(["libdnnl-dev"])]
        ),
        // libpng 1.6. Only ImageCodecs imports it.
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]
        ),
        // libwebp (decode + encode). Only ImageCodecs imports it.
        .systemLibrary(
            name: "CWebP",
            pkgConfig: "libwebp",
            providers: [.apt(["libwebp-dev"])]
        ),

        // libjpeg-turbo through the libjpeg API. Only JPEGShim calls it.
        .systemLibrary(
            name: "CJPEG",
            pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg62-turbo-dev"])]
        ),

        // MARK: PNGShim: libpng calls behind setjmp (libpng's longjmp must not cross Swift frames)
        .target(
            name: "PNGShim",
            dependencies: [
                "CPNG",
            ]
        ),

        // MARK: JPEGShim: libjpeg calls behind setjmp (its error_exit must not cross Swift frames)
        .target(
            name: "JPEGShim",
            dependencies: [
                "CJPEG",
            ]
        ),

        // MARK: DNNLKernels: oneDNN matmul / convolution primitives with weights reordered once (C)
        .target(
            name: "DNNLKernels",
            dependencies: [
                "CDNNL",
                "VectorKernels",
            ],
            cSettings: [.unsafeFlags(["-O3"], .when(configuration: .release))],
            linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("gomp")]
        ),

        // MARK: VectorKernels: element-wise kernels compiled per ISA (target_clones), picked at load (C)
        .target(
            name: "VectorKernels",
            cSettings: [.unsafeFlags(["-O3"], .when(configuration: .release))]
        ),

        // MARK: ImageCodecs: 8-bit RGB/RGBA image value, PNG, WebP and JPEG codecs, typed errors
        .target(
            name: "ImageCodecs",
            dependencies: [
                "CPNG",
                "CWebP",
                "PNGShim",
                "JPEGShim",
            ]
        ),

        // MARK: Tensors: Float tensor value, BLAS-backed kernels and their naive twins
        .target(
            name: "Tensors",
            dependencies: [
                "CBLAS",
                "DNNLKernels",
                "VectorKernels",
            ]
        ),

        // MARK: Checkpoints: Flax msgpack and safetensors readers, strict weight store
        .target(
            name: "Checkpoints",
            dependencies: [
                "Tensors",
            ]
        ),

        // MARK: VQGAN: the official MaskGIT tokenizer (encoder, quantizer, decoder)
        .target(
            name: "VQGAN",
            dependencies: [
                "Tensors",
                "Checkpoints",
            ]
        ),

        // MARK: Transformer: the official MaskGIT bidirectional transformer
        .target(
            name: "Transformer",
            dependencies: [
                "Tensors",
                "Checkpoints",
            ]
        ),

        // MARK: Editing: token grids, mask schedules, parallel decoder, the edits (against protocols)
        .target(
            name: "Editing",
            dependencies: [
                "ImageCodecs",
            ]
        ),

        // MARK: Engine: loaded models (networks behind the editing protocols), model directories
        .target(
            name: "Engine",
            dependencies: [
                "Checkpoints",
                "Tensors",
                "VQGAN",
                "Transformer",
                "Editing",
            ]
        ),

        // MARK: Sessions: the application: session store, typed requests, vocabularies, the edit service
        .target(
            name: "Sessions",
            dependencies: [
                "ImageCodecs",
                "Editing",
                "Engine",
            ]
        ),

        // MARK: JSONRPC: JSON values with verbatim numbers, line framing, JSON-RPC 2.0 envelopes
        .target(
            name: "JSONRPC"
        ),

        // MARK: RPCServer: the protocol: dispatch, queue, cancellation, progress, lifecycle, one file per method
        .target(
            name: "RPCServer",
            dependencies: [
                "JSONRPC",
                "ImageCodecs",
                "Editing",
                "Engine",
                "Sessions",
            ],
            resources: [.copy("Resources/openrpc.json")]
        ),

        // MARK: maskgit-rpc: the server executable (flags, model loading, stdio)
        .executableTarget(
            name: "maskgit-rpc",
            dependencies: [
                "RPCServer",
                "Sessions",
                "Engine",
                "ImageCodecs",
                "JSONRPC",
                "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: maskgit-cli: thin command line over the libraries (image round trip, convert, batch edits)
        .executableTarget(
            name: "maskgit-cli",
            dependencies: [
                "ImageCodecs",
                "Tensors",
                "Checkpoints",
                "VQGAN",
                "Transformer",
                "Editing",
                "Engine",
                "Sessions",
                "JSONRPC",
                "RPCServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: maskgit-bench: per-phase timings vs the numpy reference on the same weights (not a test)
        .executableTarget(
            name: "maskgit-bench",
            dependencies: [
                "Editing",
                "Engine",
                "ImageCodecs",
                "Tensors",
                "Checkpoints",
                "VQGAN",
                "Transformer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Tests

        // Shared test support: fixture locations, tensor assertions, the server process helper.
        .target(
            name: "TestSupport",
            dependencies: [
                "JSONRPC",
                "Tensors",
                "Checkpoints",
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "ImageCodecsTests",
            dependencies: [
                "ImageCodecs",
            ],
            exclude: ["Fixtures"]  // the generator script behind PNGFixtures.swift
        ),
        .testTarget(
            name: "TensorsTests",
            dependencies: [
                "Tensors",
            ]
        ),
        .testTarget(
            name: "CheckpointsTests",
            dependencies: [
                "Checkpoints",
            ]
        ),
        .testTarget(
            name: "JSONRPCTests",
            dependencies: [
                "JSONRPC",
            ]
        ),
        .testTarget(
            name: "SessionsTests",
            dependencies: [
                "Sessions",
                "TestSupport",
                "Engine",
                "Editing",
                "ImageCodecs",
            ]
        ),
        .testTarget(
            name: "RPCServerTests",
            dependencies: [
                "RPCServer",
                "Sessions",
                "TestSupport",
                "JSONRPC",
                "ImageCodecs",
                "Engine",
                "Editing",
            ]
        ),
        .testTarget(
            name: "VQGANTests",
            dependencies: [
                "VQGAN",
                "Checkpoints",
                "Tensors",
                "TestSupport",
            ]
        ),
        .testTarget(
            name: "TransformerTests",
            dependencies: [
                "Transformer",
                "Checkpoints",
                "Tensors",
                "TestSupport",
            ]
        ),
        .testTarget(
            name: "EngineTests",
            dependencies: [
                "TestSupport",
                "Engine",
                "Editing",
                "Checkpoints",
                "Tensors",
                "VQGAN",
                "Transformer",
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "EditingTests",
            dependencies: [
                "Editing",
                "ImageCodecs",
            ],
            exclude: ["Fixtures"]  // read from #filePath; producing commands beside them
        ),
    ]
)
