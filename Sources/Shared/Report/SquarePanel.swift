/// One square panel of an effect plot (`Scatter`, `Figure`): both axes share
/// limits and 1-2-5 ticks covering every point, so that the dashed y = x line
/// is the diagonal of perfect prediction; grid, zero lines in darker grey, the
/// frame, tick labels, the x-axis label under the panel, and the points, one
/// `<g class="points">` per series (drawn in the order given, so the last is
/// on top). A point may carry a horizontal error bar (±xError), drawn as a
/// `<g class="error-bars">` line when it is at least a pixel long.
struct SquarePanel {
    struct Series {
        /// Attributes of the series' group after class="points" (data-*, fill, opacity).
        var attributes: [(String, String)]
        /// (x, y, ±x error).
        var points: [(x: Double, y: Double, xError: Double?)]
    }

    var title: String
    var xLabel: String
    var left: Double
    var top: Double
    var side: Double
    var radius: Double

    func draw(_ svg: inout SVG, _ series: [Series]) {
        let values = series.flatMap { $0.points.flatMap { [$0.x, $0.y] } }
        let ticks = Ticks(covering: values.min() ?? -1, values.max() ?? 1, count: 6)
        let span = ticks.upper - ticks.lower
        func px(_ v: Double) -> Double { left + (v - ticks.lower) / span * side }
        func py(_ v: Double) -> Double { top + side - (v - ticks.lower) / span * side }

        svg.text(title, x: left + side / 2, y: top - 10, size: 12, anchor: .middle, bold: true)
        svg.beginGroup([("class", "grid")])
        for value in ticks.values {
            let color = value == 0 ? "#b0b0b0" : "#e8e8e8"
            svg.line(x1: px(value), y1: top, x2: px(value), y2: top + side, stroke: color)
            svg.line(x1: left, y1: py(value), x2: left + side, y2: py(value), stroke: color)
        }
        svg.endGroup()
        svg.rect(x: left, y: top, width: side, height: side, fill: "none", stroke: "#555555", strokeWidth: 1)
        for (value, label) in zip(ticks.values, ticks.labels) {
            svg.line(x1: px(value), y1: top + side, x2: px(value), y2: top + side + 4, stroke: "#333333")
            svg.text(label, x: px(value), y: top + side + 17, size: 11, anchor: .middle)
            svg.line(x1: left - 4, y1: py(value), x2: left, y2: py(value), stroke: "#333333")
            svg.text(label, x: left - 7, y: py(value) + 4, size: 11, anchor: .end)
        }
        svg.text(xLabel, x: left + side / 2, y: top + side + 38, size: 12, anchor: .middle, bold: true)

        // y = x across the whole square, labelled above the line near the top right.
        svg.beginGroup([("class", "identity")])
        svg.line(x1: px(ticks.lower), y1: py(ticks.lower), x2: px(ticks.upper), y2: py(ticks.upper),
                 stroke: "#333333", width: 1, dash: "5 4")
        svg.endGroup()
        svg.text("y = x", x: px(ticks.upper) - 30, y: py(ticks.upper) + 14, size: 10, anchor: .end, fill: "#333333")

        let pixel = span / side
        let bars = series.flatMap { $0.points.filter { ($0.xError ?? 0) >= pixel / 2 } }
        if !bars.isEmpty {
            svg.beginGroup([("class", "error-bars")])
            for point in bars {
                let e = point.xError!
                svg.line(x1: px(max(point.x - e, ticks.lower)), y1: py(point.y), x2: px(min(point.x + e, ticks.upper)),
                         y2: py(point.y), stroke: "#777777")
            }
            svg.endGroup()
        }
        for part in series where !part.points.isEmpty {
            svg.beginGroup([("class", "points")] + part.attributes)
            for point in part.points { svg.circle(cx: px(point.x), cy: py(point.y), r: radius) }
            svg.endGroup()
        }
    }
}
