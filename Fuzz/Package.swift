// swift-tools-version:6.1
import PackageDescription

// Coverage-guided fuzzers (libFuzzer) for the two parsers that take input from outside: the
// WebSocket protocol decoder and the persona loader. Built with the fuzzer sanitizer:
//   swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// Each fuzzes the gateway's own library: GatewayProtocol (no dependencies) and Persona (Yams only;
// the network engines are PersonaEngines, which the fuzzers do not build).
let package = Package(
    name: "gatewayd-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "gatewayd", path: ".."),
    ],
    targets: [
        .executableTarget(name: "FuzzProtocol", dependencies: [.product(name: "GatewayProtocol", package: "gatewayd")]),
        .executableTarget(name: "FuzzPersona", dependencies: [.product(name: "Persona", package: "gatewayd")]),
    ]
)
