// swift-tools-version:6.1
import PackageDescription

// Micro-benchmarks, apart from the tests:
//   swift run -c release --package-path Benchmarks persona-benchmarks
//   swift run -c release --package-path Benchmarks gateway-benchmarks
let package = Package(
    name: "gatewayd-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "gatewayd", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    ],
    targets: [
        .target(name: "BenchmarkSupport", path: "Sources/BenchmarkSupport"),
        .executableTarget(
            name: "persona-benchmarks",
            dependencies: ["BenchmarkSupport", .product(name: "Persona", package: "gatewayd")],
            path: "Sources/PersonaBenchmarks"
        ),
        .executableTarget(
            name: "gateway-benchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Gateway", package: "gatewayd"),
                .product(name: "GatewayProtocol", package: "gatewayd"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/GatewayBenchmarks"
        ),
    ]
)
