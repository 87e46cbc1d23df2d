// mtif-fuzz: the libFuzzer entry point over ParserHarness. The format comes from
// MTIF_FUZZ_FORMAT (ndjson | csv | safetensors); the readers take paths, so each
// input is written to a scratch file first. SwiftPM gives an executable its own
// main(), so this one hands control to libFuzzer's driver (LLVMFuzzerRunDriver).
#if canImport(Glibc)
import Glibc
#endif
import Shared

/// The format under test and the scratch file, fixed on the first call.
nonisolated(unsafe) private var setup: (format: ParserHarness.Format, path: String)?

private func scratch() -> (format: ParserHarness.Format, path: String) {
    if let setup { return setup }
    let name = getenv("MTIF_FUZZ_FORMAT").map { String(cString: $0) } ?? ""
    guard let format = ParserHarness.Format(rawValue: name) else {
        fatalError("set MTIF_FUZZ_FORMAT to one of \(ParserHarness.Format.allCases.map(\.rawValue))")
    }
    let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    let made = (format, "\(directory)/mtif-fuzz-\(getpid()).\(name)")
    setup = made
    return made
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let (format, path) = scratch()
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "cannot create \(path)")
    var written = 0
    while written < size {
        let n = write(fd, data + written, size - written)
        precondition(n > 0, "cannot write \(path)")
        written += n
    }
    close(fd)
    do {
        try ParserHarness.run(format, path: path)
    } catch {
        // Only MTIFError is an acceptable way to refuse input; the harness lets
        // everything else through so that it shows up here as a finding.
        fatalError("\(format.rawValue): a reader threw a non-MTIF error: \(error)")
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runDriver(&argc, &argv, { data, size in fuzzOne(data, size) }))
