/// One method's matrix as read back from `mtif-relate` records (or from
/// `mtif-influence --matrix`, whose records carry no method): the cells in R's
/// orientation, by task name, and the cost record if there is one.
package struct RelatednessRecords: Sendable {
    package var method: String
    package var matrix: TaskMatrix
    /// The {"type":"cost"} record, when present.
    package var cost: JSONValue?

    package init(method: String, matrix: TaskMatrix, cost: JSONValue?) {
        self.method = method
        self.matrix = matrix
        self.cost = cost
    }

    /// Reads `path`; the method is the meta line's (or the cells'), else `fallback`.
    package static func read(path: String, fallback: String) throws -> RelatednessRecords {
        let reader = try RecordReader(path: path)
        var method: String? = nil
        var cost: JSONValue? = nil
        while let record = try reader.next() {
            switch record["type"]?.string {
            case "meta": if let m = record["method"]?.string { method = m }
            case "relatedness": if method == nil, let m = record["method"]?.string { method = m }
            case "cost": cost = record
            default: continue
            }
        }
        return RelatednessRecords(method: method ?? fallback, matrix: try TaskMatrix.read(path: path), cost: cost)
    }

    /// value(l→k) by name, nil when absent.
    func value(_ source: String, _ target: String) -> Double? {
        guard let l = matrix.tasks.firstIndex(of: source), let k = matrix.tasks.firstIndex(of: target) else { return nil }
        return matrix.values[l][k]
    }
}

/// Agreement of one method's matrix with leave-one-task-out retraining over
/// the off-diagonal cells both give: pooled over every (l, k), and for each
/// target k over its sources l ≠ k. Both sides in R's orientation, so a
/// method that ranks tasks like retraining does has positive correlations.
package struct RelatednessAgreement: Sendable {
    package struct Row: Sendable {
        /// nil: pooled over every target.
        package var target: String?
        package var pairs: Int
        package var pearson: Double?
        package var spearman: Double?
    }

    package var method: String
    package var pooled: Row
    /// (K) per target, in LOTO's task order.
    package var targets: [Row]

    package init(method: RelatednessRecords, truth: RelatednessRecords) {
        self.method = method.method
        let tasks = truth.matrix.tasks
        var allPredicted: [Double] = [], allActual: [Double] = []
        var rows: [Row] = []
        for target in tasks {
            var predicted: [Double] = [], actual: [Double] = []
            for source in tasks where source != target {
                guard let a = truth.value(source, target), let p = method.value(source, target) else { continue }
                predicted.append(p)
                actual.append(a)
            }
            allPredicted += predicted
            allActual += actual
            rows.append(Row(target: target, pairs: predicted.count, pearson: Shared.pearson(predicted, actual),
                            spearman: Shared.spearman(predicted, actual)))
        }
        pooled = Row(target: nil, pairs: allPredicted.count, pearson: Shared.pearson(allPredicted, allActual),
                     spearman: Shared.spearman(allPredicted, allActual))
        targets = rows
    }

    /// Mean of the per-target coefficients that exist.
    package var meanPearson: Double? { mean(targets.compactMap(\.pearson)) }
    package var meanSpearman: Double? { mean(targets.compactMap(\.spearman)) }

    private func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}

/// The planted truth of synthetic data at the task level: for every target k
/// that is itself related, do the unrelated source tasks come out as more
/// harmful (larger value) than the related ones? AUC = the share of
/// (unrelated l, related l′) source pairs of the same target with
/// value(l→k) > value(l′→k) (ties count ½), pooled over targets: 1 = every
/// unrelated task ranks above every related one, 0.5 = chance. Also the mean
/// value and the share with value > 0 (what whole-task removal drops) of each group.
package struct PlantedRelatedness: Sendable {
    package var method: String
    package var targets = 0
    package var auc: Double?
    package var unrelatedPairs = 0, relatedPairs = 0
    package var unrelatedMean: Double?, relatedMean: Double?
    package var unrelatedHarmful: Double?, relatedHarmful: Double?

    package init(method: RelatednessRecords, unrelated: Set<String>, tasks: [String]) {
        self.method = method.method
        var concordant = 0.0, comparisons = 0.0
        var u: [Double] = [], r: [Double] = []
        for target in tasks where !unrelated.contains(target) {
            var uk: [Double] = [], rk: [Double] = []
            for source in tasks where source != target {
                guard let v = method.value(source, target) else { continue }
                if unrelated.contains(source) { uk.append(v) } else { rk.append(v) }
            }
            guard !uk.isEmpty || !rk.isEmpty else { continue }
            targets += 1
            for a in uk { for b in rk { comparisons += 1; concordant += a > b ? 1 : a == b ? 0.5 : 0 } }
            u += uk
            r += rk
        }
        auc = comparisons > 0 ? concordant / comparisons : nil
        unrelatedPairs = u.count
        relatedPairs = r.count
        unrelatedMean = u.isEmpty ? nil : u.reduce(0, +) / Double(u.count)
        relatedMean = r.isEmpty ? nil : r.reduce(0, +) / Double(r.count)
        unrelatedHarmful = u.isEmpty ? nil : Double(u.filter { $0 > 0 }.count) / Double(u.count)
        relatedHarmful = r.isEmpty ? nil : Double(r.filter { $0 > 0 }.count) / Double(r.count)
    }
}
