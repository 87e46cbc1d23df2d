/// The experiment report in Markdown: what was run (read from the data), the
/// per-target results of every arm against plain multitask training, the wins
/// of MTIF stated plainly whichever way they go, planted-truth recall and
/// precision (synthetic data), the validation agreement table, and links to
/// the heatmap and scatter pictures.
package struct SummaryMarkdown {
    package var summary: ExperimentSummary
    package var title: String
    package var agreement: [AgreementRow]
    /// Links as they should appear in the document (relative to its directory).
    package var heatmapLink: String?
    package var scatterLink: String?
    /// The per-target Δ picture (`plot deltas`).
    package var deltasLink: String?

    package static let defaultTitle = "MTIF experiment results"

    package init(
        summary: ExperimentSummary, title: String? = nil, agreement: [AgreementRow] = [],
        heatmapLink: String? = nil, scatterLink: String? = nil, deltasLink: String? = nil
    ) {
        self.deltasLink = deltasLink
        self.summary = summary
        self.title = title ?? SummaryMarkdown.defaultTitle
        self.agreement = agreement
        self.heatmapLink = heatmapLink
        self.scatterLink = scatterLink
    }

    typealias Arm = ExperimentSummary.Arm

    package func render() -> String {
        var parts = ["# \(Self.escape(title))", overview(), resultsSection(), winsSection()]
        if !summary.planted.isEmpty { parts.append(plantedSection()) }
        if !agreement.isEmpty { parts.append(agreementSection()) }
        if heatmapLink != nil || scatterLink != nil || deltasLink != nil { parts.append(picturesSection()) }
        return parts.joined(separator: "\n\n") + "\n"
    }

    // MARK: Sections

    private func overview() -> String {
        let targets = summary.targets
        var recipes: [String] = []
        let names = summary.arms.map(\.name)
        if names.contains("mtl") { recipes.append("plain multitask training on every task (**MTL**, no selection)") }
        if names.contains("single") { recipes.append("the target task alone (**single-task**)") }
        if names.contains("mtif") {
            recipes.append(
                "MTIF selection: the other tasks' training examples with the largest positive influence score on the target removed, most harmful first, up to \(budgetList("mtif")) of the candidates (**MTIF**)")
        }
        if names.contains("random") {
            let seeds = summary.arms.filter { $0.name == "random" }.map { summary.seeds($0) }.max() ?? 1
            recipes.append(
                "random removal of as many candidates as MTIF removed at \(budgetList("random")) (**random**, \(seeds) seed\(seeds == 1 ? "" : "s"), mean reported)")
        }
        if names.contains("whole_tasks") {
            recipes.append("removal of every source task l with R(l→k) > 0 (**whole tasks**)")
        }
        if summary.arms.contains(where: \.byValidation) {
            recipes.append(
                "for each target and repeat, the MTIF budget (0 = MTL included) whose model had the lowest loss on the target's validation split, reported on test (**MTIF@val**; **random@val**: random removal at the budget MTIF@val chose)")
        }
        for name in Set(names).subtracting(["mtl", "single", "mtif", "random", "whole_tasks"]).sorted() {
            if name == "mtif_own" {
                recipes.append("MTIF selection with the target's own training examples among the candidates (**mtif\\_own**)")
            } else if name == "mtif_sig" {
                recipes.append("MTIF selection of only the candidates whose score stands MIN_T standard errors above 0 over the target's single validation points (**mtif\\_sig**; fewer than the budget when fewer are significant)")
            } else if name.hasPrefix("whole_tasks_") {
                let method = Self.escape(String(name.dropFirst("whole_tasks_".count)))
                recipes.append("removal of every source task l whose \(method) matrix (mtif-relate, oriented like R) has value(l→k) > 0 (**\(Self.escape(name))**)")
            } else {
                recipes.append("the arm **\(Self.escape(name))**")
            }
        }
        let sizes = Set(summary.results.map(\.n))
        let sizeText = sizes.count == 1
            ? "\(sizes.first!) test examples per target"
            : "\(sizes.min()!)–\(sizes.max()!) test examples per target"
        let shown = targets.count <= 12 ? " (" + targets.map(Self.escape).joined(separator: ", ") + ")" : ""
        let repeats = summary.repeats.count
        let repeatText = repeats > 1
            ? " The whole experiment ran \(repeats) times (repeats \(summary.repeats.map(Self.escape).joined(separator: ", ")): seeds of the split and the initialisation); every number below is a mean over the repeats, and an interval in brackets is the 95 % percentile bootstrap over them (10,000 resamples, seeded)."
            : ""
        return """
            Each of the \(targets.count) target tasks k\(shown) was taken in turn, and the model retrained on: \
            \(Self.sentenceList(recipes)). Every retrained model was evaluated on the target's held-out test split \
            (\(sizeText)), which no influence score saw.\(repeatText)

            Sign convention: R(l→k) > 0 means that training on task l raises task k's validation loss (task l hurts \
            task k), and an example's score > 0 likewise means it hurts the target; MTIF removes only positive scores.
            """
    }

    private func resultsSection() -> String {
        let arms = summary.arms
        let random = arms.filter { $0.name == "random" }.map { summary.seeds($0) }.max() ?? 0
        var lines = [
            "## Results per target",
            "",
            "Test loss on each target's test split (lower is better); in parentheses the difference from plain MTL "
                + "(negative: lower loss than MTL). Bold: the lowest test loss for the target"
                + (random > 1 ? "; random removal: mean ± standard deviation over seeds." : "."),
            "",
        ]
        lines += Self.tableHeader(["target"] + arms.map(Self.label))
        for target in summary.targets {
            let rows = arms.map { summary.result(target, $0) }
            let best = rows.compactMap { $0?.testLoss }.min()
            lines.append(Self.tableRow([Self.escape(target)] + rows.map { row in
                guard let row else { return "–" }
                var text = ExperimentSummary.fixed(row.testLoss, 4)
                if let sd = row.testLossSD { text += " ± " + ExperimentSummary.fixed(sd, 4) }
                if row.testLoss == best { text = "**\(text)**" }
                return row.arm == Arm("mtl") ? text : text + " (\(Self.delta(row.deltaLoss, row.deltaInterval)))"
            }))
        }
        let bestMean = summary.means.map(\.testLoss).min()
        lines.append(Self.tableRow(["mean"] + arms.map { arm in
            guard let mean = summary.mean(arm) else { return "–" }
            var text = ExperimentSummary.fixed(mean.testLoss, 4)
            if mean.testLoss == bestMean { text = "**\(text)**" }
            return arm == Arm("mtl") ? text : text + " (\(Self.delta(mean.deltaLoss, mean.deltaInterval)))"
        }))
        lines += ["", "The mean row's interval is the bootstrap over targets."]

        let metrics = Set(summary.results.map(\.metric))
        let what = metrics == [.accuracy] ? "Accuracy" : metrics == [.rmse] ? "RMSE" : "Accuracy or RMSE"
        let notes = (metrics.contains(.accuracy) ? ["accuracy: higher is better, Δ in percentage points"] : [])
            + (metrics.contains(.rmse) ? ["RMSE: lower is better"] : [])
        lines += ["", "\(what) on the same test splits (\(notes.joined(separator: "; "))); bold: the best arm for the target.", ""]
        let mixed = metrics.count == 2
        lines += Self.tableHeader(["target"] + (mixed ? ["metric"] : []) + arms.map(Self.label))
        for target in summary.targets {
            let rows = arms.map { summary.result(target, $0) }
            guard let metric = rows.compactMap({ $0?.metric }).first else { continue }
            let values = rows.compactMap { $0?.testMetric }
            let best = metric == .accuracy ? values.max() : values.min()
            lines.append(Self.tableRow([Self.escape(target)] + (mixed ? [metric.rawValue] : []) + rows.map { row in
                guard let row else { return "–" }
                return Self.metricCell(row.metric, row.testMetric, row.deltaMetric, bold: row.testMetric == best,
                                       baseline: row.arm == Arm("mtl"))
            }))
        }
        for metric in [ExperimentSummary.Metric.accuracy, .rmse] where metrics.contains(metric) {
            let means = arms.map { arm -> (Double, Double)? in
                guard let mean = summary.mean(arm) else { return nil }
                switch metric {
                case .accuracy: return mean.testAccuracy.flatMap { v in mean.deltaAccuracy.map { (v, $0) } }
                case .rmse: return mean.testRMSE.flatMap { v in mean.deltaRMSE.map { (v, $0) } }
                }
            }
            let values = means.compactMap { $0?.0 }
            let best = metric == .accuracy ? values.max() : values.min()
            lines.append(Self.tableRow(
                ["mean"] + (mixed ? [metric.rawValue] : [])
                    + zip(arms, means).map { arm, mean in
                        guard let mean else { return "–" }
                        return Self.metricCell(metric, mean.0, mean.1, bold: mean.0 == best, baseline: arm == Arm("mtl"))
                    }))
        }
        return lines.joined(separator: "\n")
    }

    private func winsSection() -> String {
        var lines = [
            "## Does selection help? Paired tests across targets",
            "",
            "Per target, d = the arm's test loss minus the other arm's (mean over the repeats both have); "
                + "lower/higher/tied count the targets by the sign of d, and the Wilcoxon signed-rank test "
                + "(two-sided; exact without ties for up to 50 targets, else the normal approximation with the "
                + "tie correction; zeros dropped) asks whether the d are centred on 0. A direction is claimed only "
                + "at p < 0.05; with n non-zero differences the smallest possible p is 2/2ⁿ (0.0625 for 5 targets).",
            "",
        ]
        lines += Self.tableHeader(["arm", "versus", "targets", "lower / higher / tied", "mean d", "median d", "W+ / W−", "p", "reading"])
        let shown = summary.comparisons.filter { $0.versus == Arm("mtl") || $0.arm.isMTIF }
        for c in shown {
            let test = c.test
            lines.append(Self.tableRow([
                Self.label(c.arm), Self.label(c.versus), String(c.targets), "\(c.lower) / \(c.higher) / \(c.ties)",
                ExperimentSummary.signed(c.meanDifference, 4), ExperimentSummary.signed(c.medianDifference, 4),
                test.map { "\(Self.trimmed($0.wPlus)) / \(Self.trimmed($0.wMinus))" } ?? "–",
                test.map { ExperimentSummary.pValue($0.p) + ($0.method == .exact ? "" : " (normal)") } ?? "–",
                Self.reading(c),
            ]))
        }
        let chosen = summary.results.filter { $0.chosenBudgets != nil && $0.arm.isMTIF }
        if !chosen.isEmpty {
            var counts: [Double: Int] = [:]
            for row in chosen { for b in row.chosenBudgets!.values { counts[b, default: 0] += 1 } }
            let text = counts.keys.sorted().map { "\($0 == 0 ? "0 (MTL)" : Self.budgetText($0)) \(counts[$0]!)×" }
            lines += ["", "Budgets MTIF@val chose (over targets and repeats): " + text.joined(separator: ", ") + "."]
        }
        return lines.joined(separator: "\n")
    }

    /// The reading of a comparison: a direction only with p < 0.05.
    private static func reading(_ c: ExperimentSummary.Comparison) -> String {
        switch c.direction {
        case -1: return "lower loss than \(label(c.versus)) (p < 0.05)"
        case 1: return "higher loss than \(label(c.versus)) (p < 0.05)"
        default: return "no significant difference"
        }
    }

    /// "+0.0012 [−0.0003, +0.0025]"; without an interval just the signed value.
    static func delta(_ value: Double, _ interval: Statistics.Interval?) -> String {
        let text = ExperimentSummary.signed(value, 4)
        guard let interval else { return text }
        return text + " [\(ExperimentSummary.signed(interval.low, 4)), \(ExperimentSummary.signed(interval.high, 4))]"
    }

    private func plantedSection() -> String {
        var lines = [
            "## Planted truth (synthetic data)",
            "",
            "The synthetic data plant harmful examples: related tasks' training examples with corrupted labels, and "
                + "every example of the unrelated tasks. Recall: the share of the planted candidates of that kind that "
                + "the arm dropped; precision: the share of the dropped examples that were planted. Pooled over targets; "
                + "targets that are themselves unrelated tasks are reported apart. The random arm shows what chance gives.",
            "",
        ]
        lines += Self.tableHeader(["arm", "targets", "candidates", "dropped", "corrupted recall", "unrelated recall", "precision"])
        for group in summary.planted {
            let which: String
            switch group.group {
            case .related: which = "related"
            case .unrelated: which = "unrelated"
            case .unknown: which = "status unknown"
            }
            lines.append(Self.tableRow([
                Self.label(group.arm), "\(group.targets) \(which)", String(group.candidates), String(group.dropped),
                Self.ratio(group.corruptedDropped, group.corruptedCandidates, group.corruptedRecall),
                Self.ratio(group.unrelatedDropped, group.unrelatedCandidates, group.unrelatedRecall),
                Self.ratio(group.corruptedDropped + group.unrelatedDropped, group.dropped, group.precision),
            ]))
        }
        return lines.joined(separator: "\n")
    }

    private func agreementSection() -> String {
        var lines = [
            "## Do the scores predict retraining?",
            "",
            "Agreement of predicted and actual effects on the validation loss when examples (loo), whole tasks (loto) "
                + "or random subsets (lds) were left out and the model retrained (`mtif-eval compare`). "
                + "Corrected: the prediction that accounts for the remaining examples of a task gaining weight; "
                + "uncorrected: the plain sum of scores. Subset above_noise: only the effects larger than "
                + "3 × their error bar (one more Newton step at both models).",
            "",
        ]
        lines += Self.tableHeader(["experiment", "scope", "targets", "truth", "subset", "n", "Pearson", "Spearman"])
        for row in agreement {
            lines.append(Self.tableRow([
                Self.escape(row.experiment), Self.escape(row.scope), Self.escape(row.targetKind), Self.escape(row.truth),
                Self.escape(row.subset), String(row.n),
                row.pearson.map { ExperimentSummary.fixed($0, 3) } ?? "n/a",
                row.spearman.map { ExperimentSummary.fixed($0, 3) } ?? "n/a",
            ]))
        }
        return lines.joined(separator: "\n")
    }

    private func picturesSection() -> String {
        var lines = ["## Pictures"]
        if let deltasLink {
            lines += ["", "![per-target Δ vs MTL](\(Self.link(deltasLink)))", "",
                      "Per target, the mean Δ test loss vs MTL of each selection arm with its 95 % bootstrap interval over the repeats; left of 0: lower loss than MTL."]
        }
        if let heatmapLink {
            lines += ["", "![task relatedness](\(Self.link(heatmapLink)))", "",
                      "Task relatedness R(l→k): red where source task l hurts target k, blue where it helps."]
        }
        if let scatterLink {
            lines += ["", "![predicted vs actual](\(Self.link(scatterLink)))", "",
                      "Predicted against actual effects of leaving examples or tasks out; points on y = x are perfect predictions."]
        }
        return lines.joined(separator: "\n")
    }

    // MARK: Pieces

    /// "MTL", "single-task", "MTIF 10%", "random 10%", "whole tasks".
    static func label(_ arm: Arm) -> String {
        let base: String
        switch arm.name {
        case "mtl": base = "MTL"
        case "single": base = "single-task"
        case "mtif": base = "MTIF"
        case "whole_tasks": base = "whole tasks"
        default: base = escape(arm.name)
        }
        if arm.byValidation { return base + "@val" }
        guard let budget = arm.budget else { return base }
        return base + " " + budgetText(budget)
    }

    /// A fraction as a percentage ("10%", "2.5%"); larger budgets as they are.
    static func budgetText(_ budget: Double) -> String {
        budget <= 1 ? trimmed(budget * 100) + "%" : trimmed(budget)
    }

    private func budgetList(_ name: String) -> String {
        Self.sentenceList(summary.arms.filter { $0.name == name }.compactMap(\.budget).map(Self.budgetText), and: "or")
    }

    private static func trimmed(_ value: Double) -> String {
        var text = ExperimentSummary.fixed(value, 3)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    private static func metricCell(_ metric: ExperimentSummary.Metric, _ value: Double, _ delta: Double, bold: Bool, baseline: Bool) -> String {
        var text: String
        let change: String
        switch metric {
        case .accuracy:
            text = ExperimentSummary.fixed(value * 100, 1) + "%"
            change = ExperimentSummary.signed(delta * 100, 1) + " pp"
        case .rmse:
            text = ExperimentSummary.fixed(value, 4)
            change = ExperimentSummary.signed(delta, 4)
        }
        if bold { text = "**\(text)**" }
        return baseline ? text : text + " (\(change))"
    }

    private static func ratio(_ part: Int, _ whole: Int, _ value: Double?) -> String {
        guard let value else { return "n/a (0 of 0)" }
        return "\(ExperimentSummary.fixed(value * 100, 1))% (\(part) of \(whole))"
    }

    private static func sentenceList(_ items: [String], and word: String = "and") -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        case 2: return "\(items[0]) \(word) \(items[1])"
        default: return items.dropLast().joined(separator: "; ") + "; \(word) " + items.last!
        }
    }

    private static func tableHeader(_ cells: [String]) -> [String] {
        [tableRow(cells), "|" + cells.enumerated().map { i, _ in i == 0 ? " --- " : " ---: " }.joined(separator: "|") + "|"]
    }

    private static func tableRow(_ cells: [String]) -> String {
        "| " + cells.joined(separator: " | ") + " |"
    }

    /// Text safe in a table cell or heading: `|`, `*`, `_`, `<` and backslash escaped.
    static func escape(_ text: String) -> String {
        var result = ""
        for ch in text {
            if "\\|*_<>[]`".contains(ch) { result.append("\\") }
            result.append(ch)
        }
        return result
    }

    /// A link destination; wrapped in angle brackets when it holds spaces or parentheses.
    private static func link(_ path: String) -> String {
        path.contains(where: { $0 == " " || $0 == "(" || $0 == ")" }) ? "<\(path)>" : path
    }

    /// The path of `file` relative to the directory of the document at
    /// `document`, both given as on the command line (relative to
    /// `workingDirectory` unless absolute): `run/report.md` and
    /// `run/heatmap.svg` → `heatmap.svg`; `run/a/report.md` and `run/x.svg` → `../x.svg`.
    package static func relativeLink(to file: String, fromDocument document: String, workingDirectory: String) -> String {
        func components(_ path: String) -> [String] {
            let absolute = path.hasPrefix("/") ? path : workingDirectory + "/" + path
            var parts: [String] = []
            for part in absolute.split(separator: "/") {
                if part == "." { continue }
                if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
                parts.append(String(part))
            }
            return parts
        }
        let target = components(file)
        let directory = components(document).dropLast()
        var common = 0
        while common < directory.count, common < target.count - 1, directory[common] == target[common] { common += 1 }
        let ups = Array(repeating: "..", count: directory.count - common)
        return (ups + target[common...]).joined(separator: "/")
    }
}
