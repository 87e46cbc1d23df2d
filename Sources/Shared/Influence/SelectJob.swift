/// Everything `mtif-select` needs, with the defaults its usage text states.
package struct SelectOptions: Sendable {
    package var scoresPath = "-"
    package var trainPath = "-"
    package var outputPath = "-"
    package var reportPath: String? = nil
    package var droppedIdsPath: String? = nil
    /// --whole-tasks: R(l→targets) from this task matrix (mtif-relate, mtif-influence --by-task) instead of SCORES.
    package var matrixPath: String? = nil
    package var selection = SelectionOptions(targets: [])
    /// --min-t: scores of every example on single validation points
    /// (mtif-grad --dense POINTS | mtif-ihvp | mtif-influence) and the points.
    package var pointScoresPath: String? = nil
    package var pointsPath: String? = nil
    /// `--tag key=value` labels added to every report record.
    package var tags: [(key: String, value: String)] = []

    package init() {}
}

/// Reads the scores and the training set, selects (see `Selection`) and
/// writes the kept lines of TRAIN byte for byte, in input order; optionally
/// the report records and the dropped ids. Every output is written atomically.
///
/// TRAIN is read twice when it is a file (ids and tasks first, then the lines
/// to copy), so memory holds the scores and one line; from standard input its
/// lines are kept in memory between the two steps.
package func runSelection(_ options: SelectOptions, log: Log) throws {
    try options.selection.validate()
    // The point scores --min-t needs, checked before any file is read.
    var pointInputs: (scores: String, points: String)? = nil
    if options.selection.minT != nil {
        guard let scores = options.pointScoresPath, let points = options.pointsPath else {
            throw MTIFError.usage("--min-t needs --point-scores and --points",
                                  hint: "score every validation point of the targets: mtif-grad --dense PARAMS POINTS | mtif-ihvp | mtif-influence")
        }
        pointInputs = (scores, points)
    }
    let table = try ScoreTable(path: options.scoresPath)
    let scoresFile = table.file
    let trainFile = displayName(options.trainPath)
    var targetIndices: [Int] = []
    for target in options.selection.targets {
        guard let k = table.targetIndex(target) else {
            throw MTIFError.usage(
                "--target: \(JSONValue.quoted(target)) is not a target in \(scoresFile)",
                hint: "its targets are \(table.targets.joined(separator: ", "))")
        }
        guard !targetIndices.contains(k) else { throw MTIFError.usage("--target: \(JSONValue.quoted(target)) given twice") }
        targetIndices.append(k)
    }

    // Pass 1: ids and tasks of TRAIN, each matched with its scores.
    var reader = try ExampleReader(path: options.trainPath)
    var ids: [String] = []
    var tasks: [String] = []
    var scores: [Double] = []
    // Planted truth of synthetic data (mtif-data synth marks it), if present.
    var corrupted: [Bool] = [], unrelated: [Bool] = []
    var buffered: [[UInt8]]? = options.trainPath == "-" ? [] : nil
    var fingerprint = Fingerprint()
    while let example = try reader.next() {
        fingerprint.add(example)
        guard let entry = table.examples[example.id] else {
            throw MTIFError.input(
                "example \(JSONValue.quoted(example.id)) has no score in \(scoresFile)", file: trainFile,
                line: reader.lineNumber, field: "id", hint: "re-run mtif-grad PARAMS TRAIN | mtif-influence IHVP on this training set, or give the training set the scores came from")
        }
        guard entry.task == example.task else {
            throw MTIFError.input(
                "example \(JSONValue.quoted(example.id)) is task \(JSONValue.quoted(example.task)), but \(scoresFile):\(table.lines[example.id]!) scores it as task \(JSONValue.quoted(entry.task))",
                file: trainFile, line: reader.lineNumber, field: "task",
                hint: "re-run mtif-grad PARAMS TRAIN | mtif-influence IHVP on this training set")
        }
        ids.append(example.id)
        tasks.append(example.task)
        corrupted.append(example.extra("corrupted") == "true")
        unrelated.append(example.extra("unrelated") == "true")
        scores.append(targetIndices.reduce(0) { $0 + entry.scores[$1] })
        buffered?.append(reader.currentLineBytes)
    }
    if ids.count != table.examples.count {
        let present = Set(ids)
        let missing = table.examples.keys.filter { !present.contains($0) }.sorted { table.lines[$0]! < table.lines[$1]! }
        let named = missing.prefix(3).map { JSONValue.quoted($0) }.joined(separator: ", ") + (missing.count > 3 ? ", …" : "")
        throw MTIFError.input(
            "\(missing.count) scored example\(missing.count == 1 ? " is" : "s are") not in \(trainFile): \(named)",
            file: scoresFile, line: table.lines[missing[0]]!, field: "id",
            hint: "re-run mtif-grad PARAMS TRAIN | mtif-influence IHVP on this training set, or give the training set the scores came from")
    }

    if let data = table.data, data != fingerprint.hex {
        throw MTIFError.input(
            "the scores are of training data \(data), but \(trainFile) is \(fingerprint.hex) (same ids, other features or labels)",
            file: scoresFile, line: table.dataLine, field: "data",
            hint: "re-run mtif-grad PARAMS TRAIN | mtif-influence IHVP on this training set, or give the training set the scores came from")
    }

    var relatedness: [String: Double] = [:]
    for (task, sums) in table.relatedness { relatedness[task] = targetIndices.reduce(0) { $0 + sums[$1] } }
    if let path = options.matrixPath {
        relatedness = try matrixRelatedness(path: path, targets: options.selection.targets, tasks: Set(tasks))
    }
    let significance = try pointInputs.map {
        try significanceOfExamples(
            ids: ids, tasks: tasks, targets: options.selection.targets, scoresPath: $0.scores, pointsPath: $0.points, log: log)
    }
    let selection = try Selection(
        tasks: tasks, scores: scores, relatedness: relatedness, significance: significance, options: options.selection)

    // Pass 2: copy the kept lines.
    let output = try OutputFile(path: options.outputPath)
    let newline: [UInt8] = [0x0A]
    var next = 0
    if let buffered {
        for (i, line) in buffered.enumerated() {
            if next < selection.dropped.count && selection.dropped[next] == i { next += 1; continue }
            try output.write(bytes: line)
            try output.write(bytes: newline)
        }
    } else {
        let lines = try LineReader(path: options.trainPath)
        var i = 0
        while let line = try lines.next() {
            if next < selection.dropped.count && selection.dropped[next] == i {
                next += 1
            } else if i < ids.count {
                try output.write(bytes: line)
                try output.write(bytes: newline)
            }
            i += 1
        }
        guard i == ids.count else {
            throw MTIFError.io("\(trainFile) changed while it was being read (\(ids.count) lines, now \(i))")
        }
    }

    let report = try options.reportPath.map { try OutputFile(path: $0) }
    if let report {
        for task in selection.tasks {
            var record = try taskRecord(task)
            try record.add(tags: options.tags)
            try report.write(record.line)
        }
        var total = try selectionRecord(selection)
        try total.add(tags: options.tags)
        try report.write(total.line)
        if corrupted.contains(true) || unrelated.contains(true) {
            var record = plantedRecord(selection, tasks: tasks, corrupted: corrupted, unrelated: unrelated)
            try record.add(tags: options.tags)
            try report.write(record.line)
        }
    }
    let droppedIds = try options.droppedIdsPath.map { try OutputFile(path: $0) }
    if let droppedIds {
        for i in selection.dropped { try droppedIds.write(ids[i] + "\n") }
    }
    try output.commit()
    try report?.commit()
    try droppedIds?.commit()
    logSummary(selection, log: log)
}

/// The t statistic (`significanceT`) of every example of TRAIN over the
/// validation points of the targets: POINTS gives each point's task, the
/// point-scores file one column per point. Every target needs ≥ 2 points
/// there, and every example of TRAIN its scores.
private func significanceOfExamples(
    ids: [String], tasks: [String], targets: [String], scoresPath: String, pointsPath: String, log: Log
) throws -> [Double] {
    let table = try ScoreTable(path: scoresPath)
    var taskOfPoint: [String: String] = [:]
    for point in try ExampleReader.readAll(path: pointsPath) { taskOfPoint[point.id] = point.task }
    var columns: [[Int]] = []
    for target in targets {
        let group = table.targets.indices.filter { taskOfPoint[table.targets[$0]] == target }
        guard group.count >= 2 else {
            throw MTIFError.input(
                "\(table.file) scores \(group.count) validation point\(group.count == 1 ? "" : "s") of target \(JSONValue.quoted(target)) listed in \(displayName(pointsPath)); a standard error needs at least 2",
                hint: "score the target's validation examples one by one (mtif-grad --dense PARAMS POINTS)")
        }
        columns.append(group)
    }
    var result: [Double] = []
    result.reserveCapacity(ids.count)
    for (id, task) in zip(ids, tasks) {
        guard let entry = table.examples[id], entry.task == task else {
            throw MTIFError.input(
                "example \(JSONValue.quoted(id)) of task \(JSONValue.quoted(task)) has no point scores in \(table.file)",
                hint: "score the same training set against the points: mtif-grad PARAMS TRAIN | mtif-influence POINT-IHVP")
        }
        result.append(significanceT(entry.scores, columns: columns))
    }
    log.info("significance: \(columns.map(\.count).reduce(0, +)) validation points of \(columns.count) target\(columns.count == 1 ? "" : "s") from \(table.file)")
    return result
}

/// How many of the planted harmful examples (corrupted labels, unrelated
/// tasks) were candidates and how many the rule dropped: the experiment's
/// check that the scores find what was planted.
private func plantedRecord(_ selection: Selection, tasks: [String], corrupted: [Bool], unrelated: [Bool]) -> Record {
    let options = selection.options
    let targets = Set(options.targets)
    let dropped = Set(selection.dropped)
    var counts = (candidates: 0, corrupted: 0, corruptedDropped: 0, unrelated: 0, unrelatedDropped: 0)
    var targetUnrelated = false
    for i in tasks.indices {
        if targets.contains(tasks[i]) && unrelated[i] { targetUnrelated = true }
        guard options.scope == .all || !targets.contains(tasks[i]) else { continue }
        counts.candidates += 1
        if corrupted[i] { counts.corrupted += 1; if dropped.contains(i) { counts.corruptedDropped += 1 } }
        if unrelated[i] { counts.unrelated += 1; if dropped.contains(i) { counts.unrelatedDropped += 1 } }
    }
    var record = Record(type: "planted")
    record.add("candidates", counts.candidates)
    record.add("dropped", selection.dropped.count)
    record.add("corrupted_candidates", counts.corrupted)
    record.add("corrupted_dropped", counts.corruptedDropped)
    record.add("unrelated_candidates", counts.unrelated)
    record.add("unrelated_dropped", counts.unrelatedDropped)
    record.add("target_unrelated", targetUnrelated ? "true" : "false")
    if options.rule == .random { record.add("seed", json: String(options.seed)) }
    return record
}

private func taskRecord(_ task: TaskSelection) throws -> Record {
    var record = Record(type: "dropped")
    record.add("task", task.task)
    record.add("candidates", task.candidates)
    record.add("dropped", task.dropped)
    try record.add("score_sum", task.scoreSum)
    record.add("examples", task.examples)
    try record.add("relatedness", task.relatedness)
    record.add("kept_last", task.keptLast)
    return record
}

private func selectionRecord(_ selection: Selection) throws -> Record {
    let options = selection.options
    var record = Record(type: "selection")
    record.add("rule", options.rule.rawValue)
    record.add("targets", json: "[" + options.targets.map { JSONValue.quoted($0) }.joined(separator: ",") + "]")
    record.add("dropped", selection.dropped.count)
    record.add("kept", selection.keptCount)
    try record.add("fraction", selection.candidateCount == 0 ? 0 : Double(selection.dropped.count) / Double(selection.candidateCount))
    record.add("candidates", selection.candidateCount)
    record.add("scope", options.scope.rawValue)
    switch options.budget {
    case .allHarmful: break
    case .fraction(let f): try record.add("max_fraction", f)
    case .count(let n): record.add("max_count", n)
    }
    if options.rule == .random { record.add("seed", json: String(options.seed)) }
    if let minT = options.minT {
        try record.add("min_t", minT)
        record.add("not_significant", selection.notSignificant)
    }
    return record
}

private func logSummary(_ selection: Selection, log: Log) {
    let width = selection.tasks.map(\.task.count).max() ?? 0
    for task in selection.tasks {
        let name = task.task + String(repeating: " ", count: width - task.task.count)
        log.info("\(name)  \(task.candidates) candidates, \(task.dropped) dropped\(task.keptLast ? " (its last example kept)" : "")")
    }
    let options = selection.options
    if let minT = options.minT {
        log.info("\(selection.notSignificant) harmful candidates kept: their t statistic is below \(minT)")
    }
    log.info(
        "\(options.rule.rawValue) rule for \(options.targets.joined(separator: "+")): dropped \(selection.dropped.count) of \(selection.candidateCount) candidates, kept \(selection.keptCount) of \(selection.exampleCount) examples")
    if options.rule == .wholeTasks {
        let gone = selection.tasks.filter { $0.examples > 0 && $0.dropped == $0.examples }.map(\.task)
        if !gone.isEmpty {
            log.info("tasks removed entirely: \(gone.joined(separator: ", ")); a model retrained on the kept examples has no head for them, so evaluate it on the other tasks' test examples")
        }
    }
}

/// R(l→targets) = Σ_k value(l→k) over the targets, from a task matrix, for
/// every task l of TRAIN that is not a target: the relatedness whole-task
/// removal uses when another method's matrix drives it. A cell it needs and
/// the matrix lacks is an input error.
private func matrixRelatedness(path: String, targets: [String], tasks: Set<String>) throws -> [String: Double] {
    let matrix = try TaskMatrix.read(path: path)
    var result: [String: Double] = [:]
    for source in tasks.sorted() where !targets.contains(source) {
        var total = 0.0
        for target in targets {
            guard let l = matrix.tasks.firstIndex(of: source), let k = matrix.tasks.firstIndex(of: target),
                  let value = matrix.values[l][k] else {
                throw MTIFError.input(
                    "\(displayName(path)): no relatedness record \(source) → \(target)",
                    hint: "give the task matrix of the model the training set belongs to (mtif-relate or mtif-influence --by-task)")
            }
            total += value
        }
        result[source] = total
    }
    return result
}
