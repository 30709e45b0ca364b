// swift-tools-version:6.1
import PackageDescription

// Coverage-guided fuzzers (libFuzzer) for the two parsers that take input from outside: the
// WebSocket protocol decoder and the persona loader. Built with the fuzzer sanitizer:
//   swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// The protocol fuzzer uses the gateway's GatewayProtocol library, which has no dependencies; the
// persona loader's sources are the gateway's own (symlinked), without the parts that need a network.
let package = Package(
    name: "gatewayd-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "gatewayd", path: ".."),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        .executableTarget(name: "FuzzProtocol", dependencies: [.product(name: "GatewayProtocol", package: "gatewayd")]),
        .target(
            name: "PersonaCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            path: "Sources/PersonaCore",
            exclude: ["Respond/OpenAI", "Respond/ModelEngines.swift", "Preview", "Decision/PersonaEval.swift"]
        ),
        .executableTarget(name: "FuzzPersona", dependencies: ["PersonaCore"]),
    ]
)
