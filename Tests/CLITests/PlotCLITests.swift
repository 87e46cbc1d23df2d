import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `mtif-eval plot heatmap|scatter` through the built binary, on small hand-written inputs.
@Suite struct PlotCLITests {
    private static let matrix = """
        {"type":"meta","sign":"positive: the source task hurts the target"}
        {"type":"relatedness","source":"t01","target":"t01","value":-0.04,"n":60}
        {"type":"relatedness","source":"t02","target":"t01","value":0.0123,"n":60}
        {"type":"relatedness","source":"t01","target":"t02","value":-0.002,"n":60}
        {"type":"relatedness","source":"t02","target":"t02","value":-0.03,"n":60}

        """

    private static let pairs = """
        {"type":"pair","experiment":"loo","scope":"within_task","removed":"t01-0003","source":"t01","target":"t01","predicted":0.001,"predicted_uncorrected":0.0012,"actual":0.0009}
        {"type":"pair","experiment":"loo","scope":"within_task","removed":"t01-0004","source":"t01","target":"t01","predicted":-0.002,"predicted_uncorrected":-0.0018,"actual":-0.0015}
        {"type":"pair","experiment":"loo","scope":"within_task","removed":"t01-0005","source":"t01","target":"t01","predicted":0.0005,"predicted_uncorrected":0.0007,"actual":0.0008}
        {"type":"pair","experiment":"loo","scope":"between_task","removed":"t02-0001","source":"t02","target":"t01","predicted":0.0001,"predicted_uncorrected":0.0002,"actual":0.00005}
        {"type":"pair","experiment":"loto","scope":"between_task","removed":"t02","source":"t02","target":"t01","predicted":0.012,"predicted_uncorrected":0.012,"actual":0.01}
        {"type":"pair","experiment":"loto","scope":"between_task","removed":"t01","source":"t01","target":"t02","predicted":-0.002,"predicted_uncorrected":-0.002,"actual":-0.004}

        """

    private func isWellFormedSVG(_ text: String) -> Bool {
        guard text.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\"") else { return false }
        return XMLParser(data: Data(text.utf8)).parse()
    }

    @Test func heatmapAndScatterWriteWellFormedSVG() throws {
        let sh = try Shell()
        try sh.write("matrix.ndjson", Self.matrix)
        try sh.write("pairs.ndjson", Self.pairs)
        let heatmap = try sh.succeed("mtif-eval plot heatmap matrix.ndjson -o heatmap.svg --title 'R <synth>'")
        #expect(heatmap.stdout.isEmpty)
        let svg = try sh.read("heatmap.svg")
        #expect(isWellFormedSVG(svg))
        #expect(svg.contains("R &lt;synth&gt;"))
        #expect(!sh.exists("heatmap.svg.tmp"))

        try sh.succeed("mtif-eval plot scatter pairs.ndjson -o scatter.svg")
        let scatter = try sh.read("scatter.svg")
        #expect(isWellFormedSVG(scatter))
        #expect(scatter.components(separatedBy: "<circle").count - 1 == 6 + 3)   // 6 points, 3 legend markers
        try sh.succeed("mtif-eval plot scatter --experiment loto --truth uncorrected -q pairs.ndjson -o loto.svg")
        let loto = try sh.read("loto.svg")
        #expect(isWellFormedSVG(loto))
        #expect(loto.contains("leave one task out (n = 2)") && !loto.contains("LOO within-task"))
        #expect(loto.contains("uncorrected sum"))

        // Same input, same bytes; stdout without -o.
        let again = try sh.succeed("mtif-eval plot scatter pairs.ndjson -q")
        #expect(again.stdout == scatter)
    }

    @Test func missingCellsWarnButDraw() throws {
        let sh = try Shell()
        try sh.write("matrix.ndjson", Self.matrix.split(separator: "\n").dropLast().joined(separator: "\n") + "\n")
        let result = try sh.succeed("mtif-eval plot heatmap matrix.ndjson -o heatmap.svg -q")
        #expect(result.stderr.contains("warning: matrix.ndjson: 1 of 4 cells have no relatedness record"), "\(result.dump)")
        #expect(result.stderr.contains("t02 → t02"))
        #expect(isWellFormedSVG(try sh.read("heatmap.svg")))
    }

    @Test func badInputExitsTwoNamingFileAndLine() throws {
        let sh = try Shell()
        try sh.write("matrix.ndjson", Self.matrix)
        try sh.write("nofield.ndjson", #"{"type":"relatedness","source":"t01","target":"t01"}"# + "\n")
        try sh.write("meta.ndjson", #"{"type":"meta"}"# + "\n")
        try sh.write("badpair.ndjson", Self.pairs + #"{"type":"pair","experiment":"loo","scope":"within_task","target":"t01","predicted":1}"# + "\n")
        try sh.write("broken.ndjson", "{\"type\":\"pair\",\n")
        let cases: [(String, [String])] = [
            ("mtif-eval plot heatmap nofield.ndjson -o h.svg", ["nofield.ndjson:1:", "field \"value\""]),
            ("mtif-eval plot heatmap meta.ndjson -o h.svg", ["meta.ndjson: no relatedness records", "hint:"]),
            ("mtif-eval plot scatter badpair.ndjson -o s.svg", ["badpair.ndjson:7:", "field \"actual\""]),
            ("mtif-eval plot scatter broken.ndjson -o s.svg", ["broken.ndjson:1:"]),
            ("mtif-eval plot scatter meta.ndjson -o s.svg", ["no pair records"]),
            ("mtif-eval plot heatmap missing.ndjson -o h.svg", ["missing.ndjson"]),
            ("mtif-eval plot pie matrix.ndjson", ["unknown plot 'pie'"]),
            ("mtif-eval plot heatmap", ["missing argument"]),
            ("mtif-eval plot scatter --experiment xyz matrix.ndjson", ["--experiment: expected one of"]),
            ("mtif-eval plot heatmap --truth corrected matrix.ndjson", ["--truth applies to 'plot scatter' only"]),
            ("mtif-eval compare --title x a.ndjson b.ndjson", ["--title applies to 'plot' and 'summarize' only"]),
        ]
        for (command, fragments) in cases {
            let result = try sh.run(command)
            #expect(result.status == 2, "\(result.dump)")
            for fragment in fragments {
                #expect(result.stderr.contains(fragment), "stderr lacks '\(fragment)'\n\(result.dump)")
            }
            #expect(!sh.exists("h.svg") && !sh.exists("s.svg") && !sh.exists("h.svg.tmp") && !sh.exists("s.svg.tmp"))
        }
    }
}
