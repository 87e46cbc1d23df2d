/// The per-example scores of a whole training set, as written by
/// `mtif-influence`: score_k(z) for every training example z and target k,
/// with the task sums R(l→k) and counts n_l derived from them.
package struct ScoreTable: Sendable {
    /// Target names, in the order of the first score line.
    package private(set) var targets: [String] = []
    /// Per example id: its task and (K) scores in `targets` order.
    package private(set) var examples: [String: (task: String, scores: [Double])] = [:]
    /// Per example id: the 1-based line of its score record, for messages.
    package private(set) var lines: [String: Int] = [:]
    /// n_l: score lines per task, i.e. training examples of task l.
    package private(set) var counts: [String: Int] = [:]
    /// R(l→k) = Σ_{z∈D_l} score_k(z), per source task l, (K) in `targets` order.
    package private(set) var relatedness: [String: [Double]] = [:]

    /// The scores' display name ("standard input" for `-`).
    package private(set) var file = ""
    /// The fingerprint of the parameters the scores were computed at (the meta line), if given.
    package private(set) var parameters: String? = nil
    /// The fingerprint of the training examples the gradients were computed on
    /// (the meta line's "data"), if given, and the line that says so.
    package private(set) var data: String? = nil
    package private(set) var dataLine: Int? = nil

    package init(path: String) throws {
        let reader = try RecordReader(path: path)
        let file = reader.file
        self.file = file
        while let record = try reader.next() {
            if record["type"]?.string == "meta" {
                parameters = parameters ?? record["parameters"]?.string
                if let fingerprint = record["data"]?.string {
                    // Concatenated shards repeat nothing; files of two data sets must not mix.
                    if let data, data != fingerprint {
                        throw MTIFError.input(
                            "meta record of training data \(fingerprint), an earlier one says \(data)", file: file,
                            line: reader.lineNumber, field: "data", hint: "the file mixes scores of two data sets")
                    }
                    data = fingerprint
                    dataLine = reader.lineNumber
                }
            }
            guard record["type"]?.string == "score" else { continue }
            func fail(_ message: String, _ field: String) -> MTIFError {
                MTIFError.input(message, file: file, line: reader.lineNumber, field: field)
            }
            guard let id = record["id"]?.string else { throw fail("missing or not a string", "id") }
            guard let task = record["task"]?.string else { throw fail("missing or not a string", "task") }
            guard let pairs = record["scores"]?.object else { throw fail("missing or not an object", "scores") }
            if targets.isEmpty { targets = pairs.map(\.0) }
            guard pairs.map(\.0) == targets else {
                throw fail("targets differ from the first score line (\(targets.joined(separator: ",")))", "scores")
            }
            let scores = try pairs.map { name, value -> Double in
                guard let v = value.double else { throw fail("score for \"\(name)\" is not a number", "scores") }
                return v
            }
            if let previous = lines[id] { throw fail("duplicate id \"\(id)\", also on line \(previous)", "id") }
            examples[id] = (task, scores)
            lines[id] = reader.lineNumber
            counts[task, default: 0] += 1
            var sums = relatedness[task] ?? [Double](repeating: 0, count: targets.count)
            for k in sums.indices { sums[k] += scores[k] }
            relatedness[task] = sums
        }
        guard !examples.isEmpty else {
            throw MTIFError.input("\(file): no score lines", hint: "give the output of mtif-influence without --by-task")
        }
    }

    package func targetIndex(_ name: String) -> Int? { targets.firstIndex(of: name) }
}

/// The first-order prediction of V_k(full) − V_k(retrained) when the model is
/// retrained without the examples `removed` and without the tasks
/// `removedTasks`, objective still averaging within each task.
///
/// Removing z from task l moves the other examples of l from weight 1/n_l to
/// 1/m_l (m_l examples left), so to first order
///   V_k(full) − V_k(S) = Σ_{z removed} score_k(z) − Σ_l (n_l/m_l − 1) Σ_{z kept in l} score_k(z);
/// for one example this is the spec's score − (R(l→k) − score)/(n_l − 1), for a
/// whole task R(l→k). `uncorrected` is the plain sum of removed scores.
package func predictedEffect(
    _ table: ScoreTable, target k: Int, removed: [String], removedTasks: [String], file: String
) throws -> (corrected: Double, uncorrected: Double) {
    var removedSum: [String: Double] = [:]
    var removedCount: [String: Int] = [:]
    for id in removed {
        guard let entry = table.examples[id] else {
            throw MTIFError.input("\(file): removed example \"\(id)\" has no score", hint: "score the whole training set the model was trained on")
        }
        removedSum[entry.task, default: 0] += entry.scores[k]
        removedCount[entry.task, default: 0] += 1
    }
    var uncorrected = removedSum.values.reduce(0, +)
    var corrected = uncorrected
    let gone = Set(removedTasks)
    for task in removedTasks {
        guard let r = table.relatedness[task] else {
            throw MTIFError.input("\(file): removed task \"\(task)\" has no scores")
        }
        uncorrected += r[k] - (removedSum[task] ?? 0)
        corrected += r[k] - (removedSum[task] ?? 0)
    }
    for (task, count) in removedCount where !gone.contains(task) {
        let n = Double(table.counts[task]!)
        let m = n - Double(count)
        guard m > 0 else { continue }
        let kept = table.relatedness[task]![k] - removedSum[task]!
        corrected -= (n / m - 1) * kept
    }
    return (corrected, uncorrected)
}
