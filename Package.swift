// swift-tools-version:6.0
// MTIF toolkit: no package dependencies, by the client's rule.
import PackageDescription

// Release builds are what we measure: -Ounchecked drops overflow/bounds traps in
// hot loops, and naming a CPU (haswell = x86-64-v3: AVX2 + FMA) lets SIMD types
// become vector instructions instead of scalar library calls. Debug builds stay
// plain so tests and debuggers work.
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"], .when(configuration: .release)),
]

let tools = ["mtif-data", "mtif-train", "mtif-eval", "mtif-grad", "mtif-ihvp", "mtif-influence", "mtif-select", "mtif-bench", "mtif-relate"]

let package = Package(
    name: "mtif",
    targets: [
        .target(name: "Shared", swiftSettings: fast),
    ] + tools.map { name in
        .executableTarget(name: name, dependencies: ["Shared"], swiftSettings: fast)
    } + [
        .testTarget(name: "SharedTests", dependencies: ["Shared"], resources: [.copy("Fixtures")], swiftSettings: fast),
        // Corpus/ holds the bad-input files the CLI tests read in place (by #filePath).
        .testTarget(name: "CLITests", dependencies: ["Shared"], exclude: ["Corpus"], swiftSettings: fast),
    ]
)
