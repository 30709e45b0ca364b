// swift-tools-version:6.1
import PackageDescription

// Micro-benchmarks with package-benchmark (ordo-one/benchmark), apart from the tests: time,
// instructions and mallocs per operation, so that a regression shows as a count and not only as
// a time on a noisy machine. From the repository root:
//   swift package --package-path Benchmarks benchmark
//   swift package --package-path Benchmarks benchmark --target GatewayBenchmarks --filter "decode.*"
let package = Package(
    name: "gatewayd-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "gatewayd", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    ],
    targets: [
        .executableTarget(
            name: "GatewayBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Gateway", package: "gatewayd"),
                .product(name: "GatewayProtocol", package: "gatewayd"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Benchmarks/GatewayBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PersonaBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Persona", package: "gatewayd"),
            ],
            path: "Benchmarks/PersonaBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
