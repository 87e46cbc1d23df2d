/// Several task matrices as heatmaps side by side in one SVG, in rows of at
/// most `columns` panels under a common title: the relatedness measures of
/// `mtif-relate compare` next to leave-one-task-out retraining. Each panel is
/// a `Heatmap` with its own colour limits (the measures have different
/// units) taken from its off-diagonal cells, so that the between-task
/// structure shows even where a within-task term is far larger.
package struct HeatmapPanels {
    package var panels: [(title: String, subtitle: String, matrix: TaskMatrix)]
    package var title: String
    package var columns = 3

    package init(title: String, panels: [(title: String, subtitle: String, matrix: TaskMatrix)]) {
        self.title = title
        self.panels = panels
    }

    package func render() -> String {
        let margin = 14.0, header = 34.0
        let drawings: [SVG] = panels.map { panel in
            var heatmap = Heatmap(matrix: panel.matrix, title: panel.title)
            heatmap.subtitle = panel.subtitle
            heatmap.offDiagonalLimits = true
            return heatmap.drawing()
        }
        let perRow = max(1, min(columns, drawings.count))
        let rows = (drawings.count + perRow - 1) / perRow
        var columnWidths = [Double](repeating: 0, count: perRow)
        var rowHeights = [Double](repeating: 0, count: rows)
        for (i, d) in drawings.enumerated() {
            columnWidths[i % perRow] = max(columnWidths[i % perRow], d.width)
            rowHeights[i / perRow] = max(rowHeights[i / perRow], d.height)
        }
        let width = max(columnWidths.reduce(0, +) + 2 * margin, SVG.textWidth(title, size: 17) + 2 * margin)
        let height = rowHeights.reduce(0, +) + header + margin
        var svg = SVG(width: width.rounded(.up), height: height.rounded(.up))
        svg.title(title)
        svg.text(title, x: margin, y: margin + 17, size: 17, bold: true)
        var y = header
        for r in 0 ..< rows {
            var x = margin
            for c in 0 ..< perRow {
                let i = r * perRow + c
                guard i < drawings.count else { break }
                svg.place(drawings[i], x: x, y: y)
                x += columnWidths[c]
            }
            y += rowHeights[r]
        }
        return svg.document
    }
}
