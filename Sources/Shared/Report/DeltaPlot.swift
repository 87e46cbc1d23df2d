/// The experiment's per-target picture: one row per target, and in it, for
/// each selection arm, its mean Δ test loss vs plain MTL as a dot with its 95 %
/// bootstrap interval over the repeats as a horizontal bar (no bar with one
/// repeat); a vertical line at Δ = 0. Left of the line: lower loss than MTL.
/// Reads what `mtif-eval summarize` computed: an `ExperimentSummary`, or the
/// `{"type":"result"}` records of its summary.ndjson.
///
/// T targets, A arms shown.
package struct DeltaPlot {
    package struct Point: Sendable, Equatable {
        package var target: String
        package var arm: String
        package var delta: Double
        package var low: Double?
        package var high: Double?
    }

    package var points: [Point]
    package var title: String?

    /// Arms drawn, in this order, when present: the val-chosen budget, then
    /// each fixed budget of mtif, random, whole_tasks and other MTIF variants.
    static func shown(_ label: String) -> Bool { label != "mtl" && label != "single" }

    package init(points: [Point], title: String? = nil) {
        self.points = points.filter { DeltaPlot.shown($0.arm) }
        self.title = title
    }

    package init(summary: ExperimentSummary, title: String? = nil) {
        let points = summary.results.map {
            Point(target: $0.target, arm: $0.arm.label, delta: $0.deltaLoss,
                  low: $0.deltaInterval?.low, high: $0.deltaInterval?.high)
        }
        self.init(points: points, title: title)
    }

    /// The result records of a summary.ndjson ('-' = stdin); other records are skipped.
    package static func read(path: String) throws -> [Point] {
        let reader = try LineReader(path: path)
        var points: [Point] = []
        while let bytes = try reader.next() {
            let text = String(decoding: bytes, as: UTF8.self)
            if text.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            let record = try JSONValue.parse(text, file: reader.displayName, line: reader.lineNumber)
            guard record["type"]?.string == "result" else { continue }
            func fail(_ field: String) -> MTIFError {
                MTIFError.input("missing or invalid", file: reader.displayName, line: reader.lineNumber, field: field)
            }
            guard let target = record["target"]?.string else { throw fail("target") }
            guard let arm = record["arm"]?.string else { throw fail("arm") }
            guard let delta = record["delta_loss"]?.double else { throw fail("delta_loss") }
            var label = arm
            if let budget = record["budget"] {
                if let text = budget.string { label += "@" + text } else if let value = budget.double { label += "@\(value)" }
            }
            points.append(Point(target: target, arm: label, delta: delta,
                                low: record["delta_loss_low"]?.double, high: record["delta_loss_high"]?.double))
        }
        guard !points.isEmpty else {
            throw MTIFError.input("\(reader.displayName): no {\"type\":\"result\"} records", hint: "give the summary.ndjson of mtif-eval summarize")
        }
        return points
    }

    static let colors = ["#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#4d4d4d", "#35978f", "#c51b7d"]

    /// The SVG text.
    package func render() -> String {
        var targets: [String] = []
        var arms: [String] = []
        for p in points {
            if !targets.contains(p.target) { targets.append(p.target) }
            if !arms.contains(p.arm) { arms.append(p.arm) }
        }
        targets.sort(by: naturalOrder)
        let rowHeight = max(14.0, 6.0 * Double(arms.count) + 6)
        let left = 70.0, right = 170.0, top = title == nil ? 20.0 : 44.0, bottom = 46.0
        let plotWidth = 460.0
        let width = left + plotWidth + right
        let height = top + rowHeight * Double(max(1, targets.count)) + bottom
        var values = points.flatMap { [$0.delta, $0.low ?? $0.delta, $0.high ?? $0.delta] }
        values.append(0)
        let ticks = Ticks(covering: values.min()!, values.max()!, count: 5)
        let lo = min(ticks.lower, values.min()!), hi = max(ticks.upper, values.max()!)
        let span = hi > lo ? hi - lo : 1
        func x(_ v: Double) -> Double { left + (v - lo) / span * plotWidth }

        var svg = SVG(width: width, height: height)
        svg.title(title ?? "Δ test loss vs MTL per target")
        if let title { svg.text(title, x: width / 2, y: 22, size: 13, anchor: .middle, bold: true) }
        let plotBottom = top + rowHeight * Double(targets.count)
        for (i, value) in ticks.values.enumerated() where value >= lo && value <= hi {
            svg.line(x1: x(value), y1: top, x2: x(value), y2: plotBottom, stroke: "#e0e0e0")
            svg.text(ticks.labels[i], x: x(value), y: plotBottom + 14, size: 10, anchor: .middle)
        }
        svg.line(x1: x(0), y1: top, x2: x(0), y2: plotBottom, stroke: "#000000", width: 1.2)
        svg.text("Δ test loss vs MTL (left: lower loss than MTL)", x: left + plotWidth / 2, y: plotBottom + 32,
                 size: 11, anchor: .middle)
        for (row, target) in targets.enumerated() {
            let y0 = top + rowHeight * Double(row)
            if row % 2 == 1 { svg.rect(x: left, y: y0, width: plotWidth, height: rowHeight, fill: "#f7f7f7") }
            svg.text(target, x: left - 6, y: y0 + rowHeight / 2 + 4, size: 10, anchor: .end)
            for (a, arm) in arms.enumerated() {
                guard let p = points.first(where: { $0.target == target && $0.arm == arm }) else { continue }
                let y = y0 + 6 + 6 * Double(a)
                let color = DeltaPlot.colors[a % DeltaPlot.colors.count]
                if let low = p.low, let high = p.high {
                    svg.line(x1: x(low), y1: y, x2: x(high), y2: y, stroke: color, width: 1.5)
                }
                svg.circle(cx: x(p.delta), cy: y, r: 2.5, fill: color)
            }
        }
        svg.rect(x: left, y: top, width: plotWidth, height: plotBottom - top, fill: "none", stroke: "#808080")
        for (a, arm) in arms.enumerated() {
            let y = top + 10 + 16 * Double(a)
            let color = DeltaPlot.colors[a % DeltaPlot.colors.count]
            svg.line(x1: left + plotWidth + 14, y1: y - 4, x2: left + plotWidth + 34, y2: y - 4, stroke: color, width: 1.5)
            svg.circle(cx: left + plotWidth + 24, cy: y - 4, r: 2.5, fill: color)
            svg.text(arm, x: left + plotWidth + 40, y: y, size: 10)
        }
        return svg.document
    }
}
