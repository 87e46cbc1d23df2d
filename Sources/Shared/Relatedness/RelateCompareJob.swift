import Foundation

/// Everything `mtif-relate compare` needs.
package struct RelateCompareOptions: Sendable {
    /// The ground truth: `mtif-relate --method loto`.
    package var groundTruthPath = ""
    /// The other methods' matrices.
    package var matrixPaths: [String] = []
    /// Training examples with the planted "unrelated" marks.
    package var truthPath: String? = nil
    package var svgPath: String? = nil
    package var markdownPath: String? = nil
    /// mtif-eval records tagged model=NAME (test accuracy of each model).
    package var accuracyPath: String? = nil
    package var title = "Task relatedness against leave-one-task-out retraining"
    package var outputPath = "-"

    package init() {}
}

/// Reads the matrices, writes the agreement, planted-truth and cost records,
/// a table on stderr and, on request, the report and the side-by-side heatmaps.
package func runRelateCompare(_ options: RelateCompareOptions, log: Log) throws {
    let truth = try RelatednessRecords.read(path: options.groundTruthPath, fallback: "loto")
    let methods = try options.matrixPaths.map { path in
        try RelatednessRecords.read(path: path, fallback: fileStem(path))
    }
    let tasks = truth.matrix.tasks
    let agreements = methods.map { RelatednessAgreement(method: $0, truth: truth) }
    for a in agreements where a.pooled.pairs == 0 {
        throw MTIFError.input(
            "\(a.method): no off-diagonal cell in common with \(displayName(options.groundTruthPath))",
            hint: "compare matrices of the same tasks (the same parameter file)")
    }
    var unrelated: Set<String>? = nil
    if let path = options.truthPath {
        var marked = Set<String>()
        for example in try ExampleReader.readAll(path: path) where example.extra("unrelated") == "true" {
            marked.insert(example.task)
        }
        unrelated = marked.isEmpty ? nil : marked  // no planted truth (real data)
    }
    let planted = unrelated.map { set in ([truth] + methods).map { PlantedRelatedness(method: $0, unrelated: set, tasks: tasks) } }
    let costs = [truth] + methods

    let output = try OutputFile(path: options.outputPath)
    for a in agreements {
        for row in [a.pooled] + a.targets {
            var record = Record(type: "relate_agreement")
            record.add("method", a.method)
            record.add("scope", row.target == nil ? "pooled" : "target")
            if let target = row.target { record.add("target", target) }
            record.add("pairs", row.pairs)
            try addOptional(&record, "pearson", row.pearson)
            try addOptional(&record, "spearman", row.spearman)
            if row.target == nil {
                try addOptional(&record, "mean_target_pearson", a.meanPearson)
                try addOptional(&record, "mean_target_spearman", a.meanSpearman)
            }
            try output.write(record.line)
        }
    }
    for p in planted ?? [] {
        var record = Record(type: "relate_planted")
        record.add("method", p.method)
        record.add("targets", p.targets)
        record.add("unrelated_tasks", json: "[" + unrelated!.sorted().map(JSONValue.quoted).joined(separator: ",") + "]")
        try addOptional(&record, "auc", p.auc)
        record.add("unrelated_pairs", p.unrelatedPairs)
        record.add("related_pairs", p.relatedPairs)
        try addOptional(&record, "unrelated_mean", p.unrelatedMean)
        try addOptional(&record, "related_mean", p.relatedMean)
        try addOptional(&record, "unrelated_harmful", p.unrelatedHarmful)
        try addOptional(&record, "related_harmful", p.relatedHarmful)
        try output.write(record.line)
    }
    let lotoSeconds = truth.cost?["seconds"]?.double
    for m in costs {
        var record = Record(type: "relate_cost")
        record.add("method", m.method)
        for key in ["seconds", "retrainings", "iterations", "gradient_evaluations", "hvps"] {
            if let value = m.cost?[key]?.double { try record.add(key, value) }
        }
        if let s = m.cost?["seconds"]?.double, let l = lotoSeconds, s > 0 { try record.add("loto_seconds_ratio", l / s) }
        try output.write(record.line)
    }
    try output.commit()

    let table = comparisonTable(truth: truth, methods: methods, agreements: agreements, planted: planted)
    for line in table { log.info(line) }
    if let path = options.svgPath {
        let panels = ([truth] + methods).map { m in
            (title: methodTitle(m.method), subtitle: methodSubtitle(m.method), matrix: m.matrix)
        }
        let svg = try OutputFile(path: path)
        try svg.write(HeatmapPanels(title: options.title, panels: panels).render())
        try svg.commit()
    }
    if let path = options.markdownPath {
        let accuracy = try options.accuracyPath.map { try modelAccuracies(path: $0) } ?? []
        let svgLink = options.svgPath.map { relativeLink(from: path, to: $0) }
        var text = "# \(options.title)\n\n"
        text += "Ground truth: leave-one-task-out retraining (`loto`), V_k(full) − V_k(without l) on the validation split. "
        text += "Every matrix is oriented like R(l→k): positive = the source task l hurts the target k. "
        text += "Correlations are over the off-diagonal cells (l ≠ k): pooled over all of them, and per target over its K − 1 sources (the mean over targets).\n\n"
        text += "| method | pooled Pearson | pooled Spearman | mean per-target Pearson | mean per-target Spearman |"
        text += (planted == nil ? "" : " planted AUC |") + " seconds | cost |\n"
        text += "| --- | --- | --- | --- | --- |" + (planted == nil ? "" : " --- |") + " --- | --- |\n"
        for m in [truth] + methods {
            let a = agreements.first { $0.method == m.method && m.method != truth.method }
            let p = planted?.first { $0.method == m.method }
            var row = "| \(m.method) | \(cell(a?.pooled.pearson, truth: m.method == truth.method)) | \(cell(a?.pooled.spearman, truth: m.method == truth.method)) | "
            row += "\(cell(a?.meanPearson, truth: m.method == truth.method)) | \(cell(a?.meanSpearman, truth: m.method == truth.method)) |"
            if planted != nil { row += " \(cell(p?.auc)) |" }
            row += " \(m.cost?["seconds"]?.double.map { Ticks.significant($0, digits: 3) } ?? "–") | \(costSummary(m.cost)) |\n"
            text += row
        }
        if let planted, let unrelated {
            text += "\nPlanted truth (synthetic data): unrelated tasks \(unrelated.sorted().joined(separator: ", ")). "
            text += "For each related target, AUC = share of (unrelated, related) source pairs where the unrelated source has the larger value (more harmful); "
            text += "harmful = share of cells with value > 0, what whole-task removal drops.\n\n"
            text += "| method | AUC | mean value, unrelated sources | mean value, related sources | harmful, unrelated | harmful, related |\n"
            text += "| --- | --- | --- | --- | --- | --- |\n"
            for p in planted {
                text += "| \(p.method) | \(cell(p.auc)) | \(cell(p.unrelatedMean, digits: 3)) | \(cell(p.relatedMean, digits: 3)) | \(cell(p.unrelatedHarmful)) | \(cell(p.relatedHarmful)) |\n"
            }
        }
        text += "\nPer-target Spearman against LOTO (over the K − 1 sources of each target):\n\n"
        text += "| target | " + agreements.map(\.method).joined(separator: " | ") + " |\n"
        text += "| --- |" + String(repeating: " --- |", count: agreements.count) + "\n"
        for (i, target) in tasks.enumerated() {
            text += "| \(target) | " + agreements.map { cell($0.targets[i].spearman) }.joined(separator: " | ") + " |\n"
        }
        if !accuracy.isEmpty {
            text += "\nTest accuracy of the models (mtif-eval on the test split):\n\n| model | accuracy | mean task loss |\n| --- | --- | --- |\n"
            for a in accuracy { text += "| \(a.model) | \(cell(a.accuracy)) | \(cell(a.loss, digits: 4)) |\n" }
        }
        if let svgLink { text += "\n![heatmaps](\(svgLink))\n" }
        let out = try OutputFile(path: path)
        try out.write(text)
        try out.commit()
    }
}

private func addOptional(_ record: inout Record, _ key: String, _ value: Double?) throws {
    if let value { try record.add(key, value) } else { record.add(key, json: "null") }
}

private func cell(_ value: Double?, digits: Int = 2, truth: Bool = false) -> String {
    if truth { return "(truth)" }
    guard let value else { return "–" }
    return String(format: "%.\(digits)f", value)
}

private func costSummary(_ cost: JSONValue?) -> String {
    guard let cost else { return "–" }
    var parts: [String] = []
    if let r = cost["retrainings"]?.int, r > 0 { parts.append("\(r) retraining\(r == 1 ? "" : "s")") }
    if let i = cost["iterations"]?.int, i > 0 { parts.append("\(i) iterations") }
    if let g = cost["gradient_evaluations"]?.int, g > 0 { parts.append("\(g) gradient evaluations") }
    if let h = cost["hvps"]?.int, h > 0 { parts.append("\(h) HVPs") }
    return parts.isEmpty ? "–" : parts.joined(separator: ", ")
}

private func comparisonTable(
    truth: RelatednessRecords, methods: [RelatednessRecords], agreements: [RelatednessAgreement],
    planted: [PlantedRelatedness]?
) -> [String] {
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    var lines = [pad("method", 8) + "  pearson  spearman  per-target ρ" + (planted == nil ? "" : "  planted AUC") + "   seconds"]
    for m in [truth] + methods {
        let a = agreements.first { $0.method == m.method && m.method != truth.method }
        let p = planted?.first { $0.method == m.method }
        var line = pad(m.method, 8)
        line += "  " + pad(a == nil ? "truth" : cell(a?.pooled.pearson), 7)
        line += "  " + pad(a == nil ? "truth" : cell(a?.pooled.spearman), 8)
        line += "  " + pad(a == nil ? "truth" : cell(a?.meanSpearman), 12)
        if planted != nil { line += "  " + pad(cell(p?.auc), 11) }
        line += "  " + (m.cost?["seconds"]?.double.map { Ticks.significant($0, digits: 3) } ?? "–")
        lines.append(line)
    }
    return lines
}

private func methodTitle(_ method: String) -> String {
    switch method {
    case "loto": return "leave-one-task-out (ground truth)"
    case "mtif": return "MTIF R(l→k)"
    case "cosine": return "gradient cosine (−cos)"
    case "tag": return "TAG lookahead (−Z)"
    case "vmtl": return "VMTL mixture weights (1/(K−1) − α)"
    default: return method
    }
}

private func methodSubtitle(_ method: String) -> String {
    switch method {
    case "loto": return "V_k(full) − V_k(retrained without l), validation"
    case "mtif": return "Σ_{z∈D_l} score_k(z), predicted V_k(full) − V_k(without l)"
    case "cosine": return "−cos(∇_γ L_l, ∇_γ L_k) at w*"
    case "tag": return "−Z_{l→k}, Z = 1 − L_k(w − η∇_γ L_l)/L_k(w), mean over training"
    case "vmtl": return "1/(K−1) − α_{k←l}, task k's prior weight on task l"
    default: return "positive = source hurts target"
    }
}

private struct ModelAccuracy { var model: String; var accuracy: Double?; var loss: Double? }

/// The "overall" records of mtif-eval tagged `model`, in file order.
private func modelAccuracies(path: String) throws -> [ModelAccuracy] {
    let reader = try RecordReader(path: path)
    var result: [ModelAccuracy] = []
    while let record = try reader.next(type: "overall") {
        guard let model = record["model"]?.string else {
            throw MTIFError.input("missing the model tag", file: reader.file, line: reader.lineNumber, field: "model",
                                  hint: "tag each evaluation: mtif-eval --tag model=vmtl PARAMS TEST")
        }
        result.append(ModelAccuracy(model: model, accuracy: record["accuracy"]?.double, loss: record["mean_task_loss"]?.double))
    }
    return result
}

private func fileStem(_ path: String) -> String {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    return name.split(separator: ".").first.map(String.init) ?? name
}

/// `target` as a link relative to the directory of `from` when both share it.
private func relativeLink(from: String, to target: String) -> String {
    let directory = from.contains("/") ? String(from[..<from.lastIndex(of: "/")!]) + "/" : ""
    return !directory.isEmpty && target.hasPrefix(directory) ? String(target.dropFirst(directory.count)) : target
}
