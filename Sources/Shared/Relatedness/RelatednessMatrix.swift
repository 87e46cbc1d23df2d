/// A K×K task-relatedness matrix of one method, with what it cost, as
/// `mtif-relate` writes it: the record format of `mtif-influence --matrix`
/// (`{"type":"relatedness","source":l,"target":k,"value":…,"n":n_l}`), so
/// `mtif-eval plot heatmap`, `mtif-select --matrix` and `jq` read every
/// method alike, plus `method` and `raw` (the method's own number) on each
/// cell, a `{"type":"meta"}` line first and a `{"type":"cost"}` line last.
///
/// Dimensions: K tasks, rows = sources l, columns = targets k.
package struct RelatednessMatrix: Sendable {
    package var method: RelatednessMethod
    /// (K) task names in model order.
    package var tasks: [String]
    /// (K, K) raw[l][k]: the method's own number for l → k; nil where it has none (LOTO's diagonal).
    package var raw: [[Double?]]
    /// (K) n_l, the training examples of each source task.
    package var counts: [Int]
    package var cost: RelatednessCost
    /// The fingerprint of the parameters the matrix describes.
    package var parameters: String
    /// Method settings worth keeping beside the numbers (η, steps, …), JSON text values.
    package var settings: [(key: String, json: String)] = []

    package init(method: RelatednessMethod, tasks: [String], raw: [[Double?]], counts: [Int], cost: RelatednessCost, parameters: String) {
        precondition(raw.count == tasks.count && raw.allSatisfy { $0.count == tasks.count } && counts.count == tasks.count)
        self.method = method
        self.tasks = tasks
        self.raw = raw
        self.counts = counts
        self.cost = cost
        self.parameters = parameters
    }

    /// (K, K) value[l][k] in R's orientation (positive: l hurts k).
    package var values: [[Double?]] {
        raw.map { row in row.map { $0.map { method.oriented($0, tasks: tasks.count) } } }
    }

    /// The records, one per line: meta, the cells row by row, cost.
    package func lines() throws -> [String] {
        var meta = Record(type: "meta")
        meta.add("method", method.rawValue)
        meta.add("sign", RelatednessMethod.signConvention)
        meta.add("raw", method.rawMeaning)
        meta.add("orientation", method.orientation)
        meta.add("parameters", parameters)
        meta.add("targets", json: "[" + tasks.map(JSONValue.quoted).joined(separator: ",") + "]")
        for (key, json) in settings { meta.add(key, json: json) }
        var lines = [meta.line]
        let values = self.values
        for l in tasks.indices {
            for k in tasks.indices {
                guard let value = values[l][k], let raw = raw[l][k] else { continue }
                var record = Record(type: "relatedness")
                record.add("source", tasks[l])
                record.add("target", tasks[k])
                try record.add("value", value)
                record.add("n", counts[l])
                record.add("method", method.rawValue)
                try record.add("raw", raw)
                lines.append(record.line)
            }
        }
        lines.append(try cost.record(method: method).line)
        return lines
    }
}

/// What a relatedness matrix cost. Seconds are wall time; the counts say what
/// the time went into, so runs on other machines can be compared.
package struct RelatednessCost: Sendable, Equatable {
    package var seconds: Double?
    /// Full retrainings (LOTO: one per task; TAG: the re-run of training; VMTL: its training run).
    package var retrainings = 0
    /// Optimizer iterations summed over the retrainings.
    package var iterations = 0
    /// Objective-and-gradient evaluations, each over the rows it names
    /// (`gradientRows` counts the rows, so a pass over one task is cheap).
    package var gradientEvaluations = 0
    /// Σ rows over every gradient evaluation.
    package var gradientRows = 0
    /// Forward-only loss evaluations (TAG's lookahead losses), and their rows.
    package var lossEvaluations = 0
    package var lossRows = 0
    /// Hessian-vector products (MTIF's solver).
    package var hessianVectorProducts = 0
    /// Where the figures come from, when not measured here.
    package var note: String? = nil

    package init() {}

    func record(method: RelatednessMethod) throws -> Record {
        var record = Record(type: "cost")
        record.add("method", method.rawValue)
        if let seconds { try record.add("seconds", seconds) }
        record.add("retrainings", retrainings)
        record.add("iterations", iterations)
        record.add("gradient_evaluations", gradientEvaluations)
        record.add("gradient_rows", gradientRows)
        record.add("loss_evaluations", lossEvaluations)
        record.add("loss_rows", lossRows)
        record.add("hvps", hessianVectorProducts)
        if let note { record.add("note", note) }
        return record
    }
}
