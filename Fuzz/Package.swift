// swift-tools-version:6.0
// libFuzzer targets for the MTIF parsers, kept out of the main package so that
// `swift build` and `make test` never need -sanitize=fuzzer. Sources/Shared is a
// symlink to ../Sources/Shared: the same code the tools run, compiled here with
// the fuzzer's coverage instrumentation (and bounds/overflow checks, -O rather
// than the tools' -Ounchecked, so a bad index traps instead of reading garbage).
//
//     scripts/fuzz.sh ndjson 300      # one reader; make fuzz FUZZ_SECONDS=300 runs all three
import PackageDescription

let package = Package(
    name: "mtif-fuzz",
    targets: [
        .target(name: "Shared", path: "Sources/Shared"),
        .executableTarget(name: "mtif-fuzz", dependencies: ["Shared"], path: "Sources/mtif-fuzz"),
    ]
)
