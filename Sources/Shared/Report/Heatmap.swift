/// The task×task relatedness heatmap: rows are source tasks l, columns target
/// tasks k, cell (l, k) coloured by R(l→k) on a diverging scale with symmetric
/// limits ±max|R| (red: l hurts k, blue: l helps k, white: 0). Diagonal cells
/// (the within-task terms) are outlined; cells without a record are hatched
/// grey. A colour bar with 1-2-5 ticks sits on the right; with K ≤ 12 every
/// cell also prints its value. Column labels turn vertical when there are many
/// tasks or long names, so 30 tasks stay readable.
package struct Heatmap {
    package var matrix: TaskMatrix
    package var title: String
    /// Print the value in each cell (default: K ≤ 12).
    package var showValues: Bool
    /// The line under the title (default: what R(l→k) is).
    package var subtitle = "cell (l, k) = R(l→k), the predicted change in task k's validation loss from training on task l"
    /// Colour limits from the off-diagonal cells only (diagonal cells beyond them take the end colours),
    /// for measures whose within-task term dwarfs the between-task ones.
    package var offDiagonalLimits = false

    package static let defaultTitle = "Task relatedness R(source → target)"

    package init(matrix: TaskMatrix, title: String? = nil) {
        self.matrix = matrix
        self.title = title ?? Heatmap.defaultTitle
        self.showValues = matrix.tasks.count <= 12
    }

    /// The heatmap as an SVG document.
    package func render() -> String { drawing().document }

    /// The heatmap as a drawing, to place in a larger one.
    package func drawing() -> SVG {
        let tasks = matrix.tasks
        let count = tasks.count
        let margin = 14.0
        let cell = min(44, max(14, (560 / Double(count)).rounded(.down)))
        let labelSize = min(12, max(8, (cell * 0.62).rounded(.down)))
        let labels = tasks.map { Heatmap.shortened($0) }
        let widestLabel = labels.map { SVG.textWidth($0, size: labelSize) }.max() ?? 0
        let verticalColumns = count > 12 || widestLabel > cell - 4
        let limit = offDiagonalLimits ? matrix.maxOffDiagonalMagnitude : matrix.maxMagnitude
        let scale = DivergingColorScale(limit: limit)
        let ticks = Ticks(within: -limit, limit, count: 6)
        let tickLabels = limit > 0 ? ticks.labels : ["0"]
        let tickValues = limit > 0 ? ticks.values : [0]

        // Horizontal layout: axis title | row labels | grid | colour bar and its labels.
        let gridSide = cell * Double(count)
        let gridLeft = margin + 18 + widestLabel + 6
        let barLeft = gridLeft + gridSide + 22
        let barWidth = 16.0
        let tickWidth = tickLabels.map { SVG.textWidth($0, size: 11) }.max() ?? 0
        let notes = ["red: source hurts target", "blue: source helps target", "outlined: within-task (l = k)"]
            + (matrix.missingCells.isEmpty ? [] : ["hatched: no record"])
        let notesWidth = notes.map { SVG.textWidth($0, size: 10) }.max() ?? 0
        var width = barLeft + max(barWidth + 6 + tickWidth, notesWidth) + margin
        width = max(width, SVG.textWidth(title, size: 15) + 2 * margin, SVG.textWidth(subtitle, size: 11) + 2 * margin)

        // Vertical layout: title, subtitle | grid | column labels | axis title.
        let gridTop = margin + 15 + 20 + 14
        let barHeight = max(gridSide, 150)
        let columnLabelHeight = verticalColumns ? widestLabel + 8 : labelSize + 8
        let gridBottom = gridTop + gridSide
        let height = max(gridBottom + columnLabelHeight + 22, gridTop + barHeight + 14 + 14 * Double(notes.count)) + margin

        var svg = SVG(width: width.rounded(.up), height: height.rounded(.up))
        svg.title(title)
        svg.text(title, x: margin, y: margin + 15, size: 15, bold: true)
        svg.text(subtitle, x: margin, y: margin + 15 + 18, size: 11, fill: "#444444")
        if !matrix.missingCells.isEmpty { svg.hatchPattern(id: "missing") }

        // Cells, row l = source, column k = target.
        svg.beginGroup([("class", "cells")])
        for l in 0 ..< count {
            for k in 0 ..< count {
                let x = gridLeft + Double(k) * cell, y = gridTop + Double(l) * cell
                if let value = matrix.values[l][k] {
                    svg.rect(x: x, y: y, width: cell, height: cell, fill: scale.color(value),
                             tooltip: "R(\(tasks[l]) → \(tasks[k])) = \(value)")
                } else {
                    svg.rect(x: x, y: y, width: cell, height: cell, fill: "url(#missing)",
                             tooltip: "R(\(tasks[l]) → \(tasks[k])): no record")
                }
            }
        }
        svg.endGroup()
        svg.rect(x: gridLeft, y: gridTop, width: gridSide, height: gridSide, fill: "none", stroke: "#555555", strokeWidth: 1)
        svg.beginGroup([("class", "diagonal"), ("fill", "none"), ("stroke", "#000000"), ("stroke-width", "1.5")])
        for i in 0 ..< count {
            let inset = 1.0
            svg.rect(x: gridLeft + Double(i) * cell + inset, y: gridTop + Double(i) * cell + inset,
                     width: cell - 2 * inset, height: cell - 2 * inset, fill: "none")
        }
        svg.endGroup()

        if showValues {
            let texts = matrix.values.joined().map { $0.map { Ticks.significant($0) } ?? "" }
            let longest = Double(texts.map(\.count).max() ?? 1)
            let size = min(11, max(6, ((cell - 4) / (0.6 * max(1, longest))).rounded(.down)))
            svg.beginGroup([("class", "values"), ("text-anchor", "middle"), ("font-size", SVG.number(size))])
            for l in 0 ..< count {
                for k in 0 ..< count {
                    guard let value = matrix.values[l][k] else { continue }
                    let dark = abs(scale.position(value)) > 0.55
                    svg.text(Ticks.significant(value), x: gridLeft + (Double(k) + 0.5) * cell,
                             y: gridTop + (Double(l) + 0.5) * cell + size * 0.35, size: size, anchor: .middle,
                             fill: dark ? "#ffffff" : "#000000")
                }
            }
            svg.endGroup()
        }

        // Row labels (sources) and column labels (targets).
        for (i, label) in labels.enumerated() {
            svg.text(label, x: gridLeft - 6, y: gridTop + (Double(i) + 0.5) * cell + labelSize * 0.35,
                     size: labelSize, anchor: .end)
            let cx = gridLeft + (Double(i) + 0.5) * cell
            if verticalColumns {
                svg.text(label, x: cx + labelSize * 0.35, y: gridBottom + 6, size: labelSize, anchor: .end, rotate: -90)
            } else {
                svg.text(label, x: cx, y: gridBottom + labelSize + 4, size: labelSize, anchor: .middle)
            }
        }
        svg.text("target task k", x: gridLeft + gridSide / 2, y: gridBottom + columnLabelHeight + 16,
                 size: 12, anchor: .middle, bold: true)
        svg.text("source task l", x: margin + 12, y: gridTop + gridSide / 2, size: 12, anchor: .middle,
                 rotate: -90, bold: true)

        // Colour bar: +limit at the top, −limit at the bottom.
        svg.verticalGradient(id: "scale", stops: DivergingColorScale.stops.reversed().map {
            (offset: (1 - $0.0) / 2, color: DivergingColorScale.color(at: $0.0))
        })
        svg.rect(x: barLeft, y: gridTop, width: barWidth, height: barHeight,
                 fill: limit > 0 ? "url(#scale)" : DivergingColorScale.color(at: 0), stroke: "#555555", strokeWidth: 0.5)
        svg.beginGroup([("class", "colorbar-ticks")])
        for (value, label) in zip(tickValues, tickLabels) {
            let y = gridTop + (1 - (scale.position(value) + 1) / 2) * barHeight
            svg.line(x1: barLeft + barWidth, y1: y, x2: barLeft + barWidth + 4, y2: y, stroke: "#333333")
            svg.text(label, x: barLeft + barWidth + 6, y: y + 4, size: 11)
        }
        svg.endGroup()
        for (i, note) in notes.enumerated() {
            svg.text(note, x: barLeft, y: gridTop + barHeight + 18 + 14 * Double(i), size: 10, fill: "#333333")
        }
        return svg
    }

    /// Names longer than 18 characters keep their first 17 and an ellipsis.
    private static func shortened(_ name: String) -> String {
        name.count > 18 ? String(name.prefix(17)) + "…" : name
    }
}
