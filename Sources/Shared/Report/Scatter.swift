/// Predicted versus actual effects of retraining without some training data:
/// x = the predicted effect, y = the actual V_k(full) − V_k(retrained), one
/// point per pair, coloured by group (LOO within-task, LOO between-task,
/// leave-one-task-out, LDS subsets), one panel per experiment present. In each
/// panel both axes share limits and 1-2-5 ticks so that the dashed y = x line
/// is the diagonal of perfect prediction. The
/// legend gives each group's count, Pearson r and Spearman ρ (pooled over
/// targets; for LDS also the field's score, Spearman per target averaged).
/// Thousands of points are drawn small and translucent.
package struct Scatter {
    package var pairs: [EffectPair]
    package var title: String
    package var truth: EffectPair.Truth

    package static let defaultTitle = "Predicted vs actual effect of removing training data"

    /// Okabe–Ito colours, distinguishable with colour-blindness.
    package static func color(_ group: EffectPair.Group) -> String {
        switch group {
        case .withinTask: return "#d55e00"
        case .betweenTask: return "#0072b2"
        case .loto: return "#009e73"
        case .partWithinTask: return "#e69f00"
        case .partBetweenTask: return "#56b4e9"
        case .lds: return "#cc79a7"
        }
    }

    package init(pairs: [EffectPair], title: String? = nil, truth: EffectPair.Truth = .corrected) {
        self.pairs = pairs
        self.title = title ?? Scatter.defaultTitle
        self.truth = truth
    }

    /// The legend line of each group present, in legend order.
    package func legendLines() -> [(group: EffectPair.Group, text: String)] {
        EffectPair.Group.allCases.compactMap { group in
            let members = pairs.filter { $0.group == group }
            guard !members.isEmpty else { return nil }
            let x = members.map(\.predicted), y = members.map(\.actual)
            var text = "\(group.label) (n = \(members.count)): r = \(Scatter.fixed(pearson(x, y)))"
            text += ", ρ = \(Scatter.fixed(spearman(x, y)))"
            if group == .lds {
                var perTarget: [Double] = []
                var targets: [String] = []
                for pair in members where !targets.contains(pair.target) { targets.append(pair.target) }
                for target in targets {
                    let part = members.filter { $0.target == target }
                    if let rho = spearman(part.map(\.predicted), part.map(\.actual)) { perTarget.append(rho) }
                }
                let lds = perTarget.isEmpty ? nil : perTarget.reduce(0, +) / Double(perTarget.count)
                text += "; LDS (mean ρ over \(perTarget.count) targets) = \(Scatter.fixed(lds))"
            }
            return (group, text)
        }
    }

    /// The panels drawn: one per experiment present (leave-one-out with its two
    /// groups, leave-one-task-out, LDS), because their effects differ by orders
    /// of magnitude and one shared axis would crush the small ones to a dot.
    package var panels: [(title: String, groups: [EffectPair.Group])] {
        let all: [(String, [EffectPair.Group])] = [
            ("leave one example out", [.withinTask, .betweenTask]),
            ("leave one task out", [.loto]),
            ("part of one task left out", [.partWithinTask, .partBetweenTask]),
            ("LDS: random subsets left out", [.lds]),
        ]
        return all.filter { panel in pairs.contains { panel.1.contains($0.group) } }
    }

    /// The scatter plot as an SVG document.
    package func render() -> String {
        let panels = self.panels
        let margin = 14.0
        let side = panels.count <= 1 ? 480.0 : panels.count == 2 ? 400 : 340
        let gap = 86.0
        let left = margin + 78, top = margin + 15 + 34 + 34
        let legend = legendLines()
        let subtitles = [
            "x: " + (truth == .corrected
                ? "predicted effect, MTIF scores corrected for reweighting"
                : "predicted effect, uncorrected sum of MTIF scores"),
            "y: actual effect V_k(full) − V_k(retrained without the removed data); > 0: what was removed hurt task k",
        ]
        let legendTop = top + side + 62
        let plotsRight = left + Double(panels.count) * side + Double(panels.count - 1) * gap
        let width = max(plotsRight + margin + 10,
                        SVG.textWidth(title, size: 15) + 2 * margin,
                        (subtitles.map { SVG.textWidth($0, size: 11) }.max() ?? 0) + 2 * margin,
                        (legend.map { SVG.textWidth($0.text, size: 11) }.max() ?? 0) + left + 24 + margin)
        let height = legendTop + 16 * Double(legend.count) + margin

        var svg = SVG(width: width.rounded(.up), height: height.rounded(.up))
        svg.title(title)
        svg.text(title, x: margin, y: margin + 15, size: 15, bold: true)
        for (i, line) in subtitles.enumerated() {
            svg.text(line, x: margin, y: margin + 15 + 18 + 14 * Double(i), size: 11, fill: "#444444")
        }
        svg.text("actual effect (retraining)", x: margin + 12, y: top + side / 2, size: 12, anchor: .middle,
                 rotate: -90, bold: true)
        let radius = pairs.count <= 500 ? 3.0 : pairs.count <= 5000 ? 2.0 : 1.4
        let opacity = pairs.count <= 500 ? "0.8" : "0.55"
        for (index, panel) in panels.enumerated() {
            let members = pairs.filter { panel.groups.contains($0.group) }
            drawPanel(&svg, title: panel.title, groups: panel.groups, members: members,
                      left: left + Double(index) * (side + gap), top: top, side: side, radius: radius, opacity: opacity)
        }

        // Legend under the plots.
        svg.beginGroup([("class", "legend")])
        for (i, line) in legend.enumerated() {
            let y = legendTop + 16 * Double(i)
            svg.circle(cx: left + 6, cy: y - 4, r: 4, fill: Scatter.color(line.group))
            svg.text(line.text, x: left + 16, y: y, size: 11)
        }
        svg.endGroup()
        return svg.document
    }

    /// One square panel (`SquarePanel`): x = predicted, y = actual; between-task first, within-task on top.
    private func drawPanel(
        _ svg: inout SVG, title: String, groups: [EffectPair.Group], members: [EffectPair],
        left: Double, top: Double, side: Double, radius: Double, opacity: String
    ) {
        let panel = SquarePanel(title: title, xLabel: "predicted effect", left: left, top: top, side: side, radius: radius)
        panel.draw(&svg, groups.reversed().map { group in
            SquarePanel.Series(
                attributes: [("data-group", group.rawValue), ("fill", Scatter.color(group)), ("fill-opacity", opacity)],
                points: members.filter { $0.group == group }.map { (x: $0.predicted, y: $0.actual, xError: nil) })
        })
    }

    /// A correlation with three decimals ("0.931", "-0.050"), "n/a" when undefined.
    package static func fixed(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "n/a" }
        let thousandths = Int((value * 1000).rounded())
        let magnitude = thousandths.magnitude
        let fraction = String(magnitude % 1000)
        return (thousandths < 0 ? "-" : "") + "\(magnitude / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
