/// The paper's Figure 1 as an SVG: for single test points z_test, the actual
/// change of the test point's loss when one training example z of the first
/// task is left out and the model retrained, ℓ(full; z_test) − ℓ(retrained;
/// z_test) (x), against the MTIF prediction (y), one point per (test point,
/// removed example) over every training example of that task. Per data set a
/// row of two panels: within-task (test points of the removed examples' task)
/// and between-task (test points of other tasks). Each panel states r
/// (Pearson) and ρ (Spearman): of its one test point, or with several the
/// median and range of the per-point values (and the pooled ones), and draws
/// ±actual_error bars where they are visible. Points are coloured per test
/// point; both axes of a panel share limits, with the dashed y = x.
///
/// Input: `mtif-eval compare --pairs` records of leave-one-out retrains
/// (`EffectPair`, experiment loo) with single-test-point targets.
package struct Figure {
    package struct Dataset: Sendable {
        package var label: String
        package var pairs: [EffectPair]

        package init(label: String, pairs: [EffectPair]) {
            self.label = label
            self.pairs = pairs
        }
    }

    /// The correlations of one panel.
    package struct PanelStatistics: Sendable, Equatable {
        /// Test points (targets) in first-appearance order.
        package var points: [String]
        /// Per point, over its removed examples (nil: undefined).
        package var pearson: [Double?]
        package var spearman: [Double?]
        /// Over every pair of the panel.
        package var pooledPearson: Double?
        package var pooledSpearman: Double?
        package var pairs: Int
    }

    package var datasets: [Dataset]
    package var title: String
    package var truth: EffectPair.Truth

    package static let defaultTitle = "Leave-one-out retraining vs MTIF prediction for single test points"

    /// Okabe–Ito colours, one per test point (cycled).
    package static let palette = ["#d55e00", "#0072b2", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"]

    package init(datasets: [Dataset], title: String? = nil, truth: EffectPair.Truth = .corrected) {
        self.datasets = datasets
        self.title = title ?? Figure.defaultTitle
        self.truth = truth
    }

    /// The pairs of one panel of one data set.
    package static func members(_ dataset: Dataset, _ group: EffectPair.Group) -> [EffectPair] {
        dataset.pairs.filter { $0.group == group }
    }

    package static func statistics(_ pairs: [EffectPair]) -> PanelStatistics {
        var points: [String] = []
        var seen = Set<String>()
        for pair in pairs where seen.insert(pair.target).inserted { points.append(pair.target) }
        var rs: [Double?] = [], rhos: [Double?] = []
        for point in points {
            let part = pairs.filter { $0.target == point }
            rs.append(pearson(part.map(\.predicted), part.map(\.actual)))
            rhos.append(spearman(part.map(\.predicted), part.map(\.actual)))
        }
        return PanelStatistics(
            points: points, pearson: rs, spearman: rhos,
            pooledPearson: pearson(pairs.map(\.predicted), pairs.map(\.actual)),
            pooledSpearman: spearman(pairs.map(\.predicted), pairs.map(\.actual)), pairs: pairs.count)
    }

    /// The text lines under a panel: what it shows and its correlations.
    package static func caption(_ pairs: [EffectPair], _ stats: PanelStatistics) -> [String] {
        guard !pairs.isEmpty else { return ["no pairs"] }
        let sources = Set(pairs.compactMap(\.source)).sorted()
        let removed = sources.isEmpty ? "" : " of \(sources.joined(separator: ","))"
        if stats.points.count == 1 {
            let task = pairs[0].targetTask.map { " (\($0))" } ?? ""
            return [
                "test point \(stats.points[0])\(task), \(stats.pairs) training examples\(removed) left out",
                "r = \(Scatter.fixed(stats.pearson[0])), ρ = \(Scatter.fixed(stats.spearman[0]))",
            ]
        }
        func spread(_ name: String, _ values: [Double?]) -> String {
            let known = values.compactMap { $0 }
            guard !known.isEmpty else { return "\(name): n/a" }
            let s = Spread(known)
            return "\(name) median \(Scatter.fixed(s.median)) [\(Scatter.fixed(s.min)), \(Scatter.fixed(s.max))]"
        }
        let tasks = Set(pairs.compactMap(\.targetTask)).sorted()
        return [
            "\(stats.points.count) test points\(tasks.isEmpty ? "" : " of \(tasks.count == 1 ? tasks[0] : "\(tasks.count) tasks")"), \(stats.pairs) pairs (examples\(removed) left out)",
            "per point: " + spread("r", stats.pearson) + "; " + spread("ρ", stats.spearman),
            "pooled: r = \(Scatter.fixed(stats.pooledPearson)), ρ = \(Scatter.fixed(stats.pooledSpearman))",
        ]
    }

    package func render() -> String {
        let margin = 14.0, side = 320.0, gap = 90.0, rowGap = 40.0
        let left = margin + 78
        let subtitles = [
            "x: actual change of the test point's loss, ℓ(full; z_test) − ℓ(retrained without z; z_test); > 0: z hurt the test point",
            "y: MTIF prediction of that change, " + (truth == .corrected
                ? "corrected for the task's other examples gaining weight" : "uncorrected score"),
            "one point per training example z left out (leave-one-out retraining, warm start); bars: ±error of x where visible",
        ]
        let top = margin + 15 + 18 + 14 * Double(subtitles.count) + 20
        let captionLines = 3.0
        let rowHeight = side + 52 + 15 * captionLines + rowGap
        let groups: [EffectPair.Group] = [.withinTask, .betweenTask]
        let allCaptions = datasets.flatMap { d in groups.map { Figure.caption(Figure.members(d, $0), Figure.statistics(Figure.members(d, $0))) } }
        let width = max(left + 2 * side + gap + margin + 10,
                        SVG.textWidth(title, size: 15) + 2 * margin,
                        (subtitles.map { SVG.textWidth($0, size: 11) }.max() ?? 0) + 2 * margin,
                        left + side + gap + (allCaptions.flatMap { $0 }.map { SVG.textWidth($0, size: 10.5) }.max() ?? 0) + margin)
        let height = top + Double(datasets.count) * rowHeight - rowGap + margin

        var svg = SVG(width: width.rounded(.up), height: height.rounded(.up))
        svg.title(title)
        svg.text(title, x: margin, y: margin + 15, size: 15, bold: true)
        for (i, line) in subtitles.enumerated() {
            svg.text(line, x: margin, y: margin + 15 + 18 + 14 * Double(i), size: 11, fill: "#444444")
        }
        for (row, dataset) in datasets.enumerated() {
            let rowTop = top + Double(row) * rowHeight
            svg.text("MTIF prediction", x: margin + 12, y: rowTop + side / 2, size: 12, anchor: .middle, rotate: -90, bold: true)
            for (column, group) in groups.enumerated() {
                let members = Figure.members(dataset, group)
                let stats = Figure.statistics(members)
                let panelLeft = left + Double(column) * (side + gap)
                let name = group == .withinTask ? "within-task" : "between-task"
                let panel = SquarePanel(
                    title: dataset.label.isEmpty ? name : "\(dataset.label): \(name)", xLabel: "actual change (retraining)",
                    left: panelLeft, top: rowTop, side: side, radius: members.count <= 500 ? 3 : 2)
                let single = stats.points.count == 1
                panel.draw(&svg, stats.points.enumerated().map { index, point in
                    let color = single ? Scatter.color(group) : Figure.palette[index % Figure.palette.count]
                    return SquarePanel.Series(
                        attributes: [("data-group", group.rawValue), ("data-target", point), ("fill", color),
                                     ("fill-opacity", single ? "0.8" : "0.6")],
                        points: members.filter { $0.target == point }.map { (x: $0.actual, y: $0.predicted, xError: $0.actualError) })
                })
                svg.beginGroup([("class", "caption"), ("data-group", group.rawValue)])
                for (i, line) in Figure.caption(members, stats).enumerated() {
                    svg.text(line, x: panelLeft, y: rowTop + side + 58 + 15 * Double(i), size: 10.5)
                }
                svg.endGroup()
            }
        }
        return svg.document
    }
}
