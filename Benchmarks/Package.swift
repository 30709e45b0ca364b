// swift-tools-version:6.1
import PackageDescription

// Micro-benchmarks, apart from the tests: `swift run -c release --package-path Benchmarks persona-benchmarks`.
let package = Package(
    name: "gatewayd-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "gatewayd", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "persona-benchmarks",
            dependencies: [.product(name: "Persona", package: "gatewayd")],
            path: "Sources/PersonaBenchmarks"
        ),
    ]
)
