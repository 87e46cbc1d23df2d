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

    package static let defaultTitle = "MTIF experiment results"

    package init(
        summary: ExperimentSummary, title: String? = nil, agreement: [AgreementRow] = [],
        heatmapLink: String? = nil, scatterLink: String? = nil
    ) {
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
        if heatmapLink != nil || scatterLink != nil { parts.append(picturesSection()) }
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
        for name in Set(names).subtracting(["mtl", "single", "mtif", "random", "whole_tasks"]).sorted() {
            if name.hasPrefix("whole_tasks_") {
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
        return """
            Each of the \(targets.count) target tasks k\(shown) was taken in turn, and the model retrained on: \
            \(Self.sentenceList(recipes)). Every retrained model was evaluated on the target's held-out test split \
            (\(sizeText)), which no influence score saw.

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
                return row.arm == Arm("mtl") ? text : text + " (\(ExperimentSummary.signed(row.deltaLoss, 4)))"
            }))
        }
        let bestMean = summary.means.map(\.testLoss).min()
        lines.append(Self.tableRow(["mean"] + arms.map { arm in
            guard let mean = summary.mean(arm) else { return "–" }
            var text = ExperimentSummary.fixed(mean.testLoss, 4)
            if mean.testLoss == bestMean { text = "**\(text)**" }
            return arm == Arm("mtl") ? text : text + " (\(ExperimentSummary.signed(mean.deltaLoss, 4)))"
        }))

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
            "## Does selection help?",
            "",
            "Counts of targets on which an arm's test loss is strictly lower than plain MTL's, and for MTIF than "
                + "random removal of the same number of examples at the same budget.",
            "",
        ]
        lines += Self.tableHeader(["arm", "targets", "mean test loss", "mean Δ loss vs MTL", "lower loss than MTL", "lower loss than random"])
        for mean in summary.means where mean.arm != Arm("mtl") {
            let random = mean.winsVsRandom.map { "\($0) of \(mean.randomTargets ?? 0)" } ?? "–"
            lines.append(Self.tableRow([
                Self.label(mean.arm), String(mean.targets), ExperimentSummary.fixed(mean.testLoss, 4),
                ExperimentSummary.signed(mean.deltaLoss, 4), "\(mean.winsVsMTL) of \(mean.targets)", random,
            ]))
        }
        lines.append("")
        var verdicts: [String] = []
        for mean in summary.means where mean.arm.name == "mtif" {
            let name = Self.label(mean.arm)
            verdicts.append(Self.verdict(
                name, vs: "plain MTL", wins: mean.winsVsMTL, of: mean.targets, meanDelta: mean.deltaLoss))
            let randomArm = Arm("random", budget: mean.arm.budget)
            let deltas = summary.results.filter { $0.arm == mean.arm }.compactMap { row in
                summary.result(row.target, randomArm).map { row.testLoss - $0.testLoss }
            }
            if let wins = mean.winsVsRandom, !deltas.isEmpty {
                verdicts.append(Self.verdict(
                    name, vs: Self.label(randomArm), wins: wins, of: deltas.count,
                    meanDelta: ExperimentSummary.average(deltas)))
            } else {
                verdicts.append("- \(name): no random arm at the same budget, so no comparison with chance.")
            }
        }
        if summary.arms.contains(where: { $0.name == "mtif" }) == false {
            verdicts.append("- No MTIF arm in the results.")
        }
        if let best = summary.means.min(by: { $0.testLoss < $1.testLoss }) {
            verdicts.append("- Lowest mean test loss: \(Self.label(best.arm)) (\(ExperimentSummary.fixed(best.testLoss, 4))).")
        }
        lines += verdicts
        lines.append("")
        lines.append(
            "These are counts over \(summary.targets.count) target\(summary.targets.count == 1 ? "" : "s") of one run, "
                + "not a significance test"
                + (summary.arms.contains { $0.name == "random" && summary.seeds($0) > 1 }
                    ? "; differences smaller than the random arm's spread over seeds are within noise." : "."))
        return lines.joined(separator: "\n")
    }

    /// One honest sentence: a clear win needs a majority of targets and a negative mean Δ.
    private static func verdict(_ arm: String, vs baseline: String, wins: Int, of count: Int, meanDelta: Double) -> String {
        let comparison = "\(arm) vs \(baseline)"
        let facts = "lower test loss on \(wins) of \(count) targets, mean Δ loss vs \(baseline) \(ExperimentSummary.signed(meanDelta, 4))"
        if 2 * wins > count && meanDelta < 0 { return "- \(comparison): better — \(facts)." }
        if 2 * wins <= count && meanDelta >= 0 { return "- \(comparison): **not better** — \(facts)." }
        return "- \(comparison): mixed — \(facts)."
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
