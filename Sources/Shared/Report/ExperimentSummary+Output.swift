/// The summary as NDJSON records and as a fixed-width table for stderr.
extension ExperimentSummary {
    /// `result` lines (target-major), then a `mean` line per arm, a `test`
    /// line per paired comparison, then the `planted` lines. Every line ends
    /// with a newline.
    package func ndjson() throws -> String {
        var text = ""
        for row in results {
            var record = Record(type: "result")
            record.add("target", row.target)
            Self.addArm(row.arm, to: &record)
            record.add("n", row.n)
            try record.add("test_loss", row.testLoss)
            if let sd = row.testLossSD { try record.add("test_loss_sd", sd) }
            try record.add("test_\(row.metric.rawValue)", row.testMetric)
            try record.add("delta_loss", row.deltaLoss)
            try record.add("delta_\(row.metric.rawValue)", row.deltaMetric)
            if let dropped = row.dropped { try Self.addCount("dropped", dropped, to: &record) }
            record.add("seeds", row.seeds)
            record.add("repeats", row.repeats)
            if let interval = row.deltaInterval {
                try record.add("delta_loss_low", interval.low)
                try record.add("delta_loss_high", interval.high)
            }
            if let chosen = row.chosenBudgets {
                let values = chosen.keys.sorted(by: naturalOrder).map { (try? NumberParsing.format(chosen[$0]!)) ?? "0" }
                record.add("chosen_budgets", json: "[" + values.joined(separator: ",") + "]")
            }
            text += record.line
        }
        for mean in means {
            var record = Record(type: "mean")
            Self.addArm(mean.arm, to: &record)
            record.add("targets", mean.targets)
            try record.add("test_loss", mean.testLoss)
            try record.add("delta_loss", mean.deltaLoss)
            if let v = mean.testAccuracy { try record.add("test_accuracy", v) }
            if let v = mean.deltaAccuracy { try record.add("delta_accuracy", v) }
            if let v = mean.testRMSE { try record.add("test_rmse", v) }
            if let v = mean.deltaRMSE { try record.add("delta_rmse", v) }
            if let interval = mean.deltaInterval {
                try record.add("delta_loss_low", interval.low)
                try record.add("delta_loss_high", interval.high)
            }
            record.add("wins_vs_mtl", mean.winsVsMTL)
            if let wins = mean.winsVsRandom, let of = mean.randomTargets {
                record.add("wins_vs_random", wins)
                record.add("random_targets", of)
            }
            text += record.line
        }
        for comparison in comparisons {
            var record = Record(type: "test")
            Self.addArm(comparison.arm, to: &record)
            record.add("versus", comparison.versus.label)
            record.add("targets", comparison.targets)
            record.add("lower", comparison.lower)
            record.add("higher", comparison.higher)
            record.add("ties", comparison.ties)
            try record.add("mean_difference", comparison.meanDifference)
            try record.add("median_difference", comparison.medianDifference)
            if let test = comparison.test {
                record.add("test", "wilcoxon_signed_rank")
                record.add("method", test.method.rawValue)
                try record.add("w_plus", test.wPlus)
                try record.add("w_minus", test.wMinus)
                if let z = test.z { try record.add("z", z) }
                try record.add("p", test.p)
            }
            text += record.line
        }
        for group in planted {
            var record = Record(type: "planted")
            Self.addArm(group.arm, to: &record)
            record.add("target_group", group.group.rawValue)
            record.add("targets", group.targets)
            record.add("candidates", group.candidates)
            record.add("dropped", group.dropped)
            record.add("corrupted_candidates", group.corruptedCandidates)
            record.add("corrupted_dropped", group.corruptedDropped)
            record.add("unrelated_candidates", group.unrelatedCandidates)
            record.add("unrelated_dropped", group.unrelatedDropped)
            if let v = group.corruptedRecall { try record.add("corrupted_recall", v) }
            if let v = group.unrelatedRecall { try record.add("unrelated_recall", v) }
            if let v = group.precision { try record.add("precision", v) }
            text += record.line
        }
        return text
    }

    private static func addArm(_ arm: Arm, to record: inout Record) {
        record.add("arm", arm.name)
        if arm.byValidation { record.add("budget", "val") }
        if let budget = arm.budget { record.add("budget", json: (try? NumberParsing.format(budget)) ?? "0") }
    }

    /// A count averaged over seeds: an integer when it is one.
    private static func addCount(_ key: String, _ value: Double, to record: inout Record) throws {
        if value == value.rounded(), abs(value) < 1e15 { record.add(key, Int(value)) } else { try record.add(key, value) }
    }

    /// The stderr table: rows are targets and the mean, columns the arms, each
    /// cell the test loss and (except for mtl) its Δ vs mtl; then one line per
    /// mtif budget with its wins.
    package func table() -> String {
        var rows: [[String]] = [["target"] + arms.map(\.label)]
        func cell(_ loss: Double, _ delta: Double, _ arm: Arm) -> String {
            arm == Arm("mtl") ? Self.fixed(loss, 4) : "\(Self.fixed(loss, 4)) (\(Self.signed(delta, 4, minus: "-")))"
        }
        for target in targets {
            rows.append([target] + arms.map { arm in result(target, arm).map { cell($0.testLoss, $0.deltaLoss, arm) } ?? "-" })
        }
        rows.append(["mean"] + arms.map { arm in mean(arm).map { cell($0.testLoss, $0.deltaLoss, arm) } ?? "-" })
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = ["test loss on each target's test split (Δ vs mtl; negative = lower loss than mtl)"]
        for row in rows {
            let padded = row.enumerated().map { column, text in
                text + String(repeating: " ", count: widths[column] - text.count)
            }
            var line = padded.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            lines.append(line)
        }
        if repeats.count > 1 {
            lines.append("\(repeats.count) repeats: each cell is the mean over repeats; intervals in summary.ndjson and the report")
        }
        for comparison in comparisons where comparison.arm.isMTIF || comparison.versus == Arm("mtl") {
            lines.append(Self.testLine(comparison))
        }
        return lines.joined(separator: "\n")
    }

    /// "mtif@0.1 vs mtl: lower loss on 2/3 targets, higher on 1, mean difference −0.0200, Wilcoxon p = 0.5 (exact)"
    /// and a reading that claims a direction only when p < 0.05.
    package static func testLine(_ c: Comparison) -> String {
        var line = "\(c.arm.label) vs \(c.versus.label): lower loss on \(c.lower)/\(c.targets) targets, higher on \(c.higher)"
        if c.ties > 0 { line += ", tied on \(c.ties)" }
        line += ", mean difference \(signed(c.meanDifference, 4, minus: "-"))"
        guard let test = c.test else { return line + ", no test (every difference is 0)" }
        line += ", Wilcoxon p = \(pValue(test.p)) (\(test.method.rawValue))"
        switch c.direction {
        case -1: line += ": lower than \(c.versus.label) at 5 %"
        case 1: line += ": higher than \(c.versus.label) at 5 %"
        default: line += ": no significant difference at 5 %"
        }
        return line
    }

    /// A p-value with 2 significant digits ("0.031", "0.5", "2.4e-05").
    package static func pValue(_ p: Double) -> String {
        if p >= 0.1 { return fixed(p, 2) }
        if p >= 0.001 { return Ticks.significant(p, digits: 2) }
        return Ticks.significant(p, digits: 2)
    }

    /// `value` with exactly `digits` decimals ("0.5120", "-0.0030"); no negative zero.
    package static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return value.description }
        let units = Int(scaled)
        let whole = units / Int(scale)
        var fraction = String(units % Int(scale))
        fraction = String(repeating: "0", count: max(0, digits - fraction.count)) + fraction
        let sign = value < 0 && units != 0 ? "-" : ""
        return sign + String(whole) + (digits > 0 ? "." + fraction : "")
    }

    /// `fixed` with an explicit sign: "+0.0012", "−0.0030" (`minus` chooses the minus sign), "0.0000".
    package static func signed(_ value: Double, _ digits: Int, minus: String = "−") -> String {
        let text = fixed(value, digits)
        if text.hasPrefix("-") { return minus + text.dropFirst() }
        return text.allSatisfy { $0 == "0" || $0 == "." } ? text : "+" + text
    }
}
