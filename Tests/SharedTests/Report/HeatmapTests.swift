import Foundation
import Shared
import Testing

@Suite struct HeatmapTests {
    /// Three tasks, one with markup in its name; every sign present, one exact zero.
    private let tasks = ["t01", "t02", #"a<b&"c""#]
    private let values: [[Double?]] = [
        [-0.5, 0.25, 0],
        [1.0, -0.1, 0.3],
        [-1.0, 0.05, 0.7],
    ]

    private func cells(_ doc: ParsedSVG) -> [ParsedSVG.Element] { doc.all("rect", inGroup: "cells") }

    @Test func oneCellPerPairWithSignColours() throws {
        let svg = Heatmap(matrix: TaskMatrix(tasks: tasks, values: values)).render()
        let doc = try ParsedSVG(svg)
        let cells = cells(doc)
        #expect(cells.count == 9)
        for (i, cell) in cells.enumerated() {
            let value = values[i / 3][i % 3]!
            let fill = cell.attributes["fill"] ?? ""
            let (r, g, b) = try #require(rgb(fill), "cell \(i) fill \(fill)")
            let margin = abs(value) >= 0.25 ? 40 : 0   // pale near 0, clearly red or blue beyond
            if value > 0 { #expect(r > b + margin, "cell \(i) value \(value) fill \(cell.attributes["fill"]!)") }
            if value < 0 { #expect(b > r + margin, "cell \(i) value \(value) fill \(cell.attributes["fill"]!)") }
            if value == 0 { #expect(min(r, g, b) >= 0xf0, "zero cell fill \(cell.attributes["fill"]!)") }
        }
        // The strongest cells take the end colours: limits are ±max|R| = ±1.
        #expect(cells[3].attributes["fill"] == "#b2182b")
        #expect(cells[6].attributes["fill"] == "#2166ac")
    }

    @Test func diagonalIsOutlinedAndLabelsEscaped() throws {
        let svg = Heatmap(matrix: TaskMatrix(tasks: tasks, values: values)).render()
        #expect(svg.contains("a&lt;b&amp;&quot;c&quot;"))
        #expect(!svg.contains(#"a<b&"c""#))
        let doc = try ParsedSVG(svg)
        let outlines = doc.all("rect", inGroup: "diagonal")
        #expect(outlines.count == 3)
        let cells = cells(doc)
        for (i, outline) in outlines.enumerated() {
            let cell = cells[i * 3 + i]
            let cx = Double(cell.attributes["x"]!)!, ox = Double(outline.attributes["x"]!)!
            let cy = Double(cell.attributes["y"]!)!, oy = Double(outline.attributes["y"]!)!
            #expect(ox > cx && ox < cx + 3 && oy > cy && oy < cy + 3)
        }
        // The parsed (unescaped) label appears as a row and as a column label.
        #expect(doc.texts.filter { $0 == #"a<b&"c""# }.count == 2)
        // K ≤ 12: values printed in the cells; a title; colour bar ticks at ±1, ±0.5, 0.
        #expect(doc.all("text", inGroup: "values").count == 9)
        #expect(doc.texts.contains(Heatmap.defaultTitle))
        #expect(doc.all("text", inGroup: "colorbar-ticks").map(\.text) == ["-1", "-0.5", "0", "0.5", "1"])
    }

    @Test func thirtyTasksTurnColumnLabelsAndDropValues() throws {
        let names = (1 ... 30).map { "s\($0)" }
        var generator = SplitMix64(seed: 7)
        let grid: [[Double?]] = names.map { _ in names.map { _ in Double(generator.next() % 2001) / 1000 - 1 } }
        let doc = try ParsedSVG(Heatmap(matrix: TaskMatrix(tasks: names, values: grid), title: "K = 30").render())
        #expect(cells(doc).count == 900)
        #expect(doc.all("text", inGroup: "values").isEmpty)
        let rotated = doc.all("text").filter { ($0.attributes["transform"] ?? "").hasPrefix("rotate(-90") }
        #expect(rotated.count == 31)   // 30 column labels and the row axis title
    }

    @Test func missingCellsAreHatched() throws {
        var sparse = values
        sparse[0][2] = nil
        let matrix = TaskMatrix(tasks: tasks, values: sparse)
        #expect(matrix.missingCells.map { "\($0.source)→\($0.target)" } == [#"t01→a<b&"c""#])
        let doc = try ParsedSVG(Heatmap(matrix: matrix).render())
        #expect(cells(doc)[2].attributes["fill"] == "url(#missing)")
        #expect(doc.all("pattern").first?.attributes["id"] == "missing")
    }

    @Test func sameInputSameBytes() {
        let a = Heatmap(matrix: TaskMatrix(tasks: tasks, values: values), title: "x").render()
        let b = Heatmap(matrix: TaskMatrix(tasks: tasks, values: values), title: "x").render()
        #expect(a == b)
    }
}

@Suite struct TaskMatrixTests {
    @Test func readsRelatednessRecordsAndSkipsOthers() throws {
        let path = try temporaryFile([
            #"{"type":"meta","sign":"positive = hurts"}"#,
            #"{"type":"relatedness","source":"t01","target":"t01","value":-0.5,"n":60}"#,
            #"{"type":"relatedness","source":"t02","target":"t01","value":0.0123,"n":60}"#,
            "",
            #"{"type":"relatedness","source":"t01","target":"t02","value":-0.01,"n":60}"#,
        ])
        let matrix = try TaskMatrix.read(path: path)
        #expect(matrix.tasks == ["t01", "t02"])
        #expect(matrix.values == [[-0.5, -0.01], [0.0123, nil]])
        #expect(matrix.missingCells.count == 1)
        #expect(matrix.maxMagnitude == 0.5)
    }

    @Test func errorsNameFileLineAndField() throws {
        let missing = try temporaryFile([
            #"{"type":"relatedness","source":"t01","target":"t01","value":1}"#,
            #"{"type":"relatedness","source":"t01","target":"t02"}"#,
        ])
        let error = try #require(throws: MTIFError.self) { try TaskMatrix.read(path: missing) }
        #expect(error.kind == .input)
        #expect(error.message.hasPrefix("\(missing):2: field \"value\""))

        let duplicate = try temporaryFile([
            #"{"type":"relatedness","source":"a","target":"b","value":1}"#,
            #"{"type":"relatedness","source":"a","target":"b","value":2}"#,
        ])
        let dup = try #require(throws: MTIFError.self) { try TaskMatrix.read(path: duplicate) }
        #expect(dup.message.contains(":2:") && dup.message.contains("line 1"))

        let empty = try temporaryFile([#"{"type":"meta"}"#])
        let none = try #require(throws: MTIFError.self) { try TaskMatrix.read(path: empty) }
        #expect(none.kind == .input && none.message.contains("no relatedness records"))
    }
}
