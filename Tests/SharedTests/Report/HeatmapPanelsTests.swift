import Foundation
import Testing
import Shared

/// Heatmaps side by side: one translated group per panel, each definition
/// (colour gradient, hatch) once, titles present, limits off the diagonal.
@Suite struct HeatmapPanelsTests {
    static let matrix = TaskMatrix(tasks: ["a", "b", "c"], values: [[-9, 0.1, nil], [0.2, -9, -0.3], [0.05, 0.4, -9]])

    @Test func panelsShareDefinitionsAndKeepTheirTitles() {
        let panels = HeatmapPanels(title: "all <methods>", panels: [
            (title: "one", subtitle: "first", matrix: Self.matrix),
            (title: "two", subtitle: "second", matrix: Self.matrix),
            (title: "three", subtitle: "third", matrix: Self.matrix),
            (title: "four", subtitle: "fourth", matrix: Self.matrix),
        ]).render()
        #expect(panels.hasPrefix("<svg"))
        #expect(panels.components(separatedBy: "<g transform=\"translate(").count - 1 == 4)
        #expect(panels.components(separatedBy: "<linearGradient id=\"scale\"").count - 1 == 1)
        #expect(panels.components(separatedBy: "<pattern id=\"missing\"").count - 1 == 1)
        for text in ["all &lt;methods&gt;", ">one<", ">four<", ">third<"] { #expect(panels.contains(text), "\(text)") }
        // Four panels in rows of three: the fourth starts a second row, below the first.
        #expect(panels.contains("translate(14,34)"))
    }

    @Test func offDiagonalLimitsIgnoreTheDiagonal() {
        #expect(Self.matrix.maxMagnitude == 9)
        #expect(Self.matrix.maxOffDiagonalMagnitude == 0.4)
        var heatmap = Heatmap(matrix: Self.matrix)
        heatmap.offDiagonalLimits = true
        // The largest off-diagonal cell (0.4) takes the red end only when the diagonal is left out of the limits.
        let red = DivergingColorScale.color(at: 1)
        #expect(heatmap.render().contains("fill=\"\(red)\""))
        #expect(!Heatmap(matrix: Self.matrix).render().contains("fill=\"\(red)\""))
    }
}
