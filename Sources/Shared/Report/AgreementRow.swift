/// One `{"type":"agreement"}` record of `mtif-eval compare`: how well the
/// scores predicted retraining effects in one experiment, scope and truth,
/// on all pairs or on those above the noise floor (`subset`), for task-mean
/// or single-test-point targets (`target_kind`).
package struct AgreementRow: Sendable, Equatable {
    package var experiment: String
    package var scope: String
    package var truth: String
    package var n: Int
    package var pearson: Double?
    package var spearman: Double?
    /// "all" or "above_noise" (records before the noise floor: "all").
    package var subset: String
    /// "tasks" or "test_points" (older records: "tasks").
    package var targetKind: String

    package init(
        experiment: String, scope: String, truth: String, n: Int, pearson: Double?, spearman: Double?,
        subset: String = "all", targetKind: String = "tasks"
    ) {
        self.experiment = experiment
        self.scope = scope
        self.truth = truth
        self.n = n
        self.pearson = pearson
        self.spearman = spearman
        self.subset = subset
        self.targetKind = targetKind
    }

    /// The agreement records of `path` in file order; other types are skipped,
    /// a malformed agreement record is an input error at `file:line`.
    package static func read(path: String) throws -> [AgreementRow] {
        let reader = try RecordReader(path: path)
        let file = reader.file
        var rows: [AgreementRow] = []
        while let record = try reader.next(type: "agreement") {
            func fail(_ field: String, _ what: String) -> MTIFError {
                MTIFError.input("missing or not \(what)", file: file, line: reader.lineNumber, field: field,
                                hint: "give the output of mtif-eval compare")
            }
            guard let experiment = record["experiment"]?.string else { throw fail("experiment", "a string") }
            guard let scope = record["scope"]?.string else { throw fail("scope", "a string") }
            guard let truth = record["truth"]?.string else { throw fail("truth", "a string") }
            guard let n = record["n"]?.int, n >= 0 else { throw fail("n", "a count") }
            var correlations: [Double?] = []
            for key in ["pearson", "spearman"] {
                guard let value = record[key] else { correlations.append(nil); continue }
                guard let number = value.double else { throw fail(key, "a number") }
                correlations.append(number)
            }
            rows.append(AgreementRow(
                experiment: experiment, scope: scope, truth: truth, n: n,
                pearson: correlations[0], spearman: correlations[1],
                subset: record["subset"]?.string ?? "all", targetKind: record["target_kind"]?.string ?? "tasks"))
        }
        guard !rows.isEmpty else {
            throw MTIFError.input("\(file): no agreement records", hint: "give the output of mtif-eval compare")
        }
        return rows
    }
}
