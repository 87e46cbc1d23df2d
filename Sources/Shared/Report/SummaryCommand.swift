#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `mtif-eval summarize RESULTS`: the experiment's results per target and arm
/// as NDJSON on `output`, a table on stderr, and with `--markdown FILE` the
/// readable report (written atomically).
///
/// Options read from `arguments`: `--agreement FILE` (records of `mtif-eval
/// compare`), `--markdown FILE`, and for the report only `--heatmap FILE`,
/// `--scatter FILE` (pictures linked relative to the report) and `--title TEXT`;
/// `--deltas FILE` writes the per-target Δ picture (`DeltaPlot`) there
/// (atomically) and links it.
package func runSummary(_ arguments: Arguments, output: OutputFile, log: Log) throws {
    let paths = try arguments.positionals(exactly: ["summarize", "RESULTS.ndjson"])
    let markdownPath = arguments.string("--markdown")
    if markdownPath == "-" {
        throw MTIFError.usage("--markdown needs a file: standard output carries the NDJSON records")
    }
    if markdownPath == nil {
        for name in ["--heatmap", "--scatter", "--title", "--deltas"] where arguments.string(name) != nil {
            throw MTIFError.usage("\(name) applies to the report: give --markdown FILE too",
                                  hint: "see '\(arguments.tool) --help'")
        }
    }
    let summary = try ExperimentSummary.read(path: paths[1])
    let agreement = try arguments.string("--agreement").map { try AgreementRow.read(path: $0) } ?? []
    try output.write(try summary.ndjson())
    log.info(summary.table())
    guard let markdownPath else { return }
    if let deltas = arguments.string("--deltas") {
        let file = try OutputFile(path: deltas)
        try file.write(DeltaPlot(summary: summary, title: arguments.string("--title")).render())
        try file.commit()
    }

    var links: [String: String] = [:]
    for name in ["--heatmap", "--scatter", "--deltas"] {
        guard let picture = arguments.string(name) else { continue }
        if access(picture, F_OK) != 0 {
            log.warning("\(picture) does not exist (yet); the report links to it anyway")
        }
        links[name] = SummaryMarkdown.relativeLink(
            to: picture, fromDocument: markdownPath, workingDirectory: currentDirectory())
    }
    let report = SummaryMarkdown(
        summary: summary, title: arguments.string("--title"), agreement: agreement,
        heatmapLink: links["--heatmap"], scatterLink: links["--scatter"], deltasLink: links["--deltas"])
    let file = try OutputFile(path: markdownPath)
    try file.write(report.render())
    try file.commit()
    log.info("wrote \(markdownPath)")
}

private func currentDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buffer, buffer.count) != nil else { return "." }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
