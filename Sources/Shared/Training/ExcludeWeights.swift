/// How `mtif-train --exclude` weights the examples that stay.
///
/// L averages within each task, L(w) = Σ_l (1/n_l) Σ_{z∈D_l} ℓ_l(w; z) + Ω(w).
/// Leaving z out can mean two objectives:
///
///   renormalized  train on the smaller set: the m_l = n_l − 1 others of task l
///                 get weight 1/m_l (a literal retrain; today's default);
///   original      drop z's term only: the others keep 1/n_l with the ORIGINAL
///                 n_l, exactly the perturbation score_k(z) linearises.
///
/// A file trained with `--exclude` records which one in its metadata
/// `exclude_weights`: `{"mode":"original","tasks":["t01",…],"counts":[60,…]}`,
/// counts the denominators n_l of each task's weight 1/n_l (for original the
/// tasks' examples before exclusion, else after), so that tools
/// which rebuild the objective (the Newton-step error of `mtif-eval
/// --baseline --train`) and `mtif-eval compare` know which one was fitted.
package enum ExcludeWeights: String, CaseIterable, Sendable, Codable {
    case renormalized, original

    /// The leave-out ground truth of `make validate LEAVE_OUT=…` this mode gives.
    package var groundTruth: String { self == .original ? "fixed" : "literal" }
}

/// The `exclude_weights` metadata of a parameter file.
package struct ExcludeWeightsRecord: Codable, Equatable, Sendable {
    package var mode: ExcludeWeights
    /// Task names, and for each the n of the weight 1/n its remaining examples
    /// have. (Two arrays, not an object: the metadata coder would rewrite
    /// task names as keys to and from snake case.)
    package var tasks: [String]
    package var counts: [Int]

    package init(mode: ExcludeWeights, counts: [String: Int]) {
        self.mode = mode
        tasks = counts.keys.sorted()
        self.counts = tasks.map { counts[$0]! }
    }

    /// The record of `file`, nil when it has none (trained without --exclude,
    /// or before the option existed: renormalized).
    package static func of(_ file: ParameterFile, name: String) throws -> ExcludeWeightsRecord? {
        guard let text = file.metadata["exclude_weights"] else { return nil }
        let record: ExcludeWeightsRecord = try JSONText.decode(text, field: "exclude_weights", file: name)
        guard record.tasks.count == record.counts.count else {
            throw MTIFError.input("\(name): metadata \"exclude_weights\" is malformed: \(record.tasks.count) tasks, \(record.counts.count) counts",
                                  hint: "the file is damaged or was edited; retrain it")
        }
        return record
    }

    /// Sets every row's weight to 1/counts[its task] (rows of tasks the record
    /// does not name keep theirs).
    package func apply(to batch: inout TaskBatch, schema: TaskSchema) {
        let denominators = Dictionary(zip(tasks, counts), uniquingKeysWith: { a, _ in a })
        for (k, range) in batch.taskRanges.enumerated() {
            guard let n = denominators[schema.tasks[k].name], n > 0 else { continue }
            for i in range { batch.weights[i] = 1 / Double(n) }
        }
    }
}

/// The training objective a parameter file was fitted to, rebuilt from the
/// training file `examples` (read from `trainName`): the model's tasks only,
/// without the ids its metadata `excluded` lists, checked against the
/// fingerprint `mtif-train` recorded (`inputs.train`), weighted as its
/// `exclude_weights` says. A training set that does not match is an input
/// error naming both files.
package func trainingBatch(
    of trained: ParameterFile, name: String, examples: [Example], trainName: String
) throws -> TaskBatch {
    let tasks = Set(trained.schema.taskNames)
    let excluded: Set<String> = Set(try trained.metadata["excluded"].map {
        try JSONText.decode($0, field: "excluded", file: name) as [String]
    } ?? [])
    let kept = examples.filter { tasks.contains($0.task) && !excluded.contains($0.id) }
    let fingerprint = Fingerprint.of(kept)
    if let text = trained.metadata["inputs"], let recorded = (try? JSONValue.parse(text))?["train"]?.string,
       recorded != fingerprint {
        throw MTIFError.input(
            "\(trainName) is not the training set of \(name): its examples of the model's tasks, without the \(excluded.count) excluded, have fingerprint \(fingerprint), the parameters were trained on \(recorded)",
            hint: "give the training file that mtif-train was given for \(name) (before --exclude)")
    }
    var batch = try TaskBatch(kept, schema: trained.schema, file: trainName)
    try ExcludeWeightsRecord.of(trained, name: name)?.apply(to: &batch, schema: trained.schema)
    return batch
}
