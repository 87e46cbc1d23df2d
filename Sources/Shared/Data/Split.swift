/// How a data set is divided into training, validation and test examples.
package enum SplitMode: Equatable, Sendable {
    /// Every example names its split in a `"split"` extra field
    /// (`"train"`, `"val"`, `"test"`), as synthetic data does.
    case field
    /// Per-task seeded random split by fractions.
    case fractions
    /// Per-task split into contiguous blocks of the input order (time), the
    /// blocks dealt to the parts by a seeded shuffle (`splitByBlocks`).
    case blocks
}

/// The three parts of a split data set; each keeps the input order.
package typealias SplitParts = (train: [Example], val: [Example], test: [Example])

/// `.field` when every example carries a `"split"` extra field (whatever its
/// value: `splitByField` checks the values), `.fractions` otherwise — also
/// for an empty data set.
package func splitMode(of examples: [Example]) -> SplitMode {
    guard !examples.isEmpty else { return .fractions }
    return examples.allSatisfy { $0.extra("split") != nil } ? .field : .fractions
}

/// Splits `examples` the way `splitMode(of:)` decides: by their `"split"`
/// fields when every example has one, else by `fractions` and `seed`.
/// With `blocks`, by contiguous blocks (`splitByBlocks`) whatever the fields say.
package func splitExamples(
    _ examples: [Example], fractions: (train: Double, val: Double, test: Double), seed: UInt64,
    blocks: BlockSplit? = nil
) throws -> SplitParts {
    if let blocks { return try splitByBlocks(examples, blocks: blocks, fractions: fractions, seed: seed) }
    switch splitMode(of: examples) {
    case .field: return try splitByField(examples)
    case .fractions, .blocks: return try splitByTask(examples, fractions: fractions, seed: seed)
    }
}

/// How `splitByBlocks` cuts each task: `count` contiguous blocks of the
/// task's examples in input order, and `gap` examples dropped on each side of
/// every boundary between blocks that land in different parts.
package struct BlockSplit: Sendable, Equatable {
    package var count: Int
    package var gap: Int

    package init(count: Int, gap: Int = 0) {
        self.count = count
        self.gap = gap
    }
}

/// Seeded split of every task into contiguous blocks of its input order.
///
/// Rows of overlapping time windows (HAR: 2.56 s windows with 50 % overlap)
/// are near-copies of their neighbours, so a per-example random split puts
/// one half of a window in training and the other in test: a leak. Here each
/// task's n examples, in input order, are cut into `blocks.count` contiguous
/// blocks of ⌊n/B⌋ or ⌈n/B⌉; the counts of val and test
/// blocks are round(B·val) and round(B·test) (each ≥ 1, train the rest, the
/// rules of `splitCounts`), and which blocks go where is a shuffle of the
/// block indices by the task's own stream of `seed` (FNV-1a of its name, as
/// `splitByTask`). Then at every boundary between adjacent blocks of
/// different parts, the first `blocks.gap` examples of the later block are
/// dropped, so no window overlaps one of another part when gap ≥ the number
/// of neighbours a window overlaps on one side (1 for HAR's 50 % overlap).
/// A task needs ⌊n/B⌋ > gap. Order within each part is the input order.
///
/// When a class occurs only in a few consecutive blocks (HAR subjects do one
/// activity after another), a deal can leave it out of training, and a model
/// cannot predict a class it never saw. So the task's stream deals again, up
/// to `blockDealAttempts` times, until the training part (after the gaps)
/// holds every label of the task; if no deal does, the one holding most. A
/// task whose first deal covers its labels is split as without this rule.
package func splitByBlocks(
    _ examples: [Example], blocks: BlockSplit, fractions: (train: Double, val: Double, test: Double), seed: UInt64
) throws -> SplitParts {
    try splitByBlocksReporting(examples, blocks: blocks, fractions: fractions, seed: seed).parts
}

/// `splitByBlocks`, and the tasks whose first deal left a label out of
/// training (`redealt`) and those whose training part still lacks one
/// (`uncovered`, each with the labels it lacks), in task order.
package func splitByBlocksReporting(
    _ examples: [Example], blocks: BlockSplit, fractions: (train: Double, val: Double, test: Double), seed: UInt64
) throws -> (parts: SplitParts, redealt: [String], uncovered: [(task: String, missing: Int)]) {
    try checkFractions(fractions)
    guard blocks.count >= 3 else {
        throw MTIFError.usage("--blocks: expected at least 3 blocks per task (one per part), found \(blocks.count)")
    }
    guard blocks.gap >= 0 else { throw MTIFError.usage("--gap: expected a non-negative count, found \(blocks.gap)") }
    let f = [fractions.train, fractions.val, fractions.test]
    let (rowsOfTask, taskOrder) = rowsByTask(examples)
    // part[i]: 0 train, 1 val, 2 test, -1 dropped in a gap.
    var part = [Int](repeating: 0, count: examples.count)
    var redealt: [String] = [], uncovered: [(task: String, missing: Int)] = []
    for task in taskOrder {
        let rows = rowsOfTask[task]!
        let n = rows.count
        let b = blocks.count
        guard n / b > blocks.gap else {
            throw MTIFError.input(
                "task \"\(task)\" has \(n) example\(n == 1 ? "" : "s"); \(b) blocks with gap \(blocks.gap) need at least \(b * (blocks.gap + 1)) per task",
                hint: "drop the task, or lower --blocks or --gap")
        }
        let counts = splitCounts(n: b, fractions: f)
        let labels = rows.map { examples[$0].y }
        let classes = Set(labels).count
        var rng = SplitMix64(seed: seed, stream: taskStream(task))
        var best: (keep: [Int], covered: Int)?
        for attempt in 0 ..< blockDealAttempts {
            var order = Array(0 ..< b)
            rng.shuffle(&order)
            var blockPart = [Int](repeating: 0, count: b)
            for (position, block) in order.enumerated() {
                blockPart[block] = position < counts[0] ? 0 : (position < counts[0] + counts[1] ? 1 : 2)
            }
            let keep = blockPositions(n: n, blockPart: blockPart, gap: blocks.gap)
            let covered = Set(zip(keep, labels).lazy.filter { $0.0 == 0 }.map(\.1)).count
            if best == nil || covered > best!.covered { best = (keep, covered) }
            if covered == classes {
                if attempt > 0 { redealt.append(task) }
                break
            }
        }
        if best!.covered < classes { uncovered.append((task, classes - best!.covered)) }
        for (p, row) in rows.enumerated() { part[row] = best!.keep[p] }
    }
    return (partition(examples, part), redealt, uncovered)
}

/// Shuffles `splitByBlocks` draws per task looking for a deal whose training
/// part holds every label of the task.
private let blockDealAttempts = 100

/// The part (0 train, 1 val, 2 test, -1 dropped in a gap) of each of a task's
/// n positions when block j goes to `blockPart[j]`: block j holds positions
/// [⌊j·n/b⌋, ⌊(j+1)·n/b⌋), and the first `gap` positions of a block whose
/// part differs from the block before are dropped.
private func blockPositions(n: Int, blockPart: [Int], gap: Int) -> [Int] {
    let b = blockPart.count
    var keep = [Int](repeating: 0, count: n)
    for j in 0 ..< b {
        for p in (j * n / b) ..< ((j + 1) * n / b) { keep[p] = blockPart[j] }
    }
    if gap > 0 {
        for j in 1 ..< b where blockPart[j] != blockPart[j - 1] {
            let boundary = j * n / b
            for p in boundary ..< boundary + gap { keep[p] = -1 }
        }
    }
    return keep
}

/// Splits by each example's `"split"` extra field: `"train"`, `"val"` or
/// `"test"` (JSON strings). A missing or other value is an input error naming
/// the example. Order within each part is the input order.
package func splitByField(_ examples: [Example]) throws -> SplitParts {
    var result: SplitParts = ([], [], [])
    for example in examples {
        guard let raw = example.extra("split") else {
            throw MTIFError.input("example \"\(example.id)\" has no split", field: "split",
                                  hint: "give every example a \"split\" field, or none to split by fractions")
        }
        switch trimmedJSON(raw) {
        case "\"train\"": result.train.append(example)
        case "\"val\"": result.val.append(example)
        case "\"test\"": result.test.append(example)
        default:
            throw MTIFError.input("example \"\(example.id)\": expected \"train\", \"val\" or \"test\", found \(raw)",
                                  field: "split")
        }
    }
    return result
}

/// Seeded random split of every task by `fractions` (each > 0, summing to 1).
///
/// Each task is shuffled by its own stream of `seed`, derived from the task's
/// name (FNV-1a), so adding or removing a task leaves every other task's split
/// unchanged. Counts: val = round(n·val), test = round(n·test), train the
/// rest; a part left empty takes one example from the largest part, so every
/// task has at least one example in every part (a task needs ≥ 3 examples).
/// Order within each part is the input order, not the shuffled order.
package func splitByTask(
    _ examples: [Example], fractions: (train: Double, val: Double, test: Double), seed: UInt64
) throws -> SplitParts {
    try checkFractions(fractions)
    let f = [fractions.train, fractions.val, fractions.test]
    let (rowsOfTask, taskOrder) = rowsByTask(examples)

    // part[i]: 0 train, 1 val, 2 test.
    var part = [Int](repeating: 0, count: examples.count)
    for task in taskOrder {
        var rows = rowsOfTask[task]!
        let n = rows.count
        guard n >= 3 else {
            throw MTIFError.input(
                "task \"\(task)\" has \(n) example\(n == 1 ? "" : "s"); a split needs at least 3 per task",
                hint: "drop the task or give it more examples")
        }
        let counts = splitCounts(n: n, fractions: f)
        var rng = SplitMix64(seed: seed, stream: taskStream(task))
        rng.shuffle(&rows)
        for (position, row) in rows.enumerated() {
            part[row] = position < counts[0] ? 0 : (position < counts[0] + counts[1] ? 1 : 2)
        }
    }
    return partition(examples, part)
}

/// Usage error unless the three fractions are positive and sum to 1.
private func checkFractions(_ fractions: (train: Double, val: Double, test: Double)) throws {
    let f = [fractions.train, fractions.val, fractions.test]
    guard f.allSatisfy({ $0.isFinite && $0 > 0 }) else {
        throw MTIFError.usage(
            "split fractions must be positive, got train \(fractions.train), val \(fractions.val), test \(fractions.test)")
    }
    let sum = f.reduce(0, +)
    guard abs(sum - 1) <= 1e-9 else {
        throw MTIFError.usage(
            "split fractions must sum to 1, got \(fractions.train) + \(fractions.val) + \(fractions.test) = \(sum)")
    }
}

/// Row indices of each task in input order, and the tasks in order of first appearance.
private func rowsByTask(_ examples: [Example]) -> (rows: [String: [Int]], order: [String]) {
    var rowsOfTask: [String: [Int]] = [:]
    var taskOrder: [String] = []
    for (i, example) in examples.enumerated() {
        if rowsOfTask[example.task] == nil { taskOrder.append(example.task) }
        rowsOfTask[example.task, default: []].append(i)
    }
    return (rowsOfTask, taskOrder)
}

/// The parts by `part[i]` (0 train, 1 val, 2 test, anything else dropped), in input order.
private func partition(_ examples: [Example], _ part: [Int]) -> SplitParts {
    var train: [Example] = [], val: [Example] = [], test: [Example] = []
    for (i, example) in examples.enumerated() {
        switch part[i] {
        case 0: train.append(example)
        case 1: val.append(example)
        case 2: test.append(example)
        default: break
        }
    }
    return (train, val, test)
}

/// (3) train, val, test counts of a task of n ≥ 3 examples; each ≥ 1, sum n.
func splitCounts(n: Int, fractions f: [Double]) -> [Int] {
    var counts = [0, Int((Double(n) * f[1]).rounded()), Int((Double(n) * f[2]).rounded())]
    counts[0] = n - counts[1] - counts[2]
    // Rounding both up can overshoot n; then give train's deficit back.
    while counts[0] < 0 {
        let largest = counts[1] >= counts[2] ? 1 : 2
        counts[largest] -= 1
        counts[0] += 1
    }
    for i in 0 ..< 3 where counts[i] == 0 {
        let largest = counts.indices.max { counts[$0] < counts[$1] }!
        counts[largest] -= 1
        counts[i] = 1
    }
    return counts
}

/// A stream label from a task's name: 64-bit FNV-1a of its UTF-8 bytes.
func taskStream(_ name: String) -> UInt64 {
    var fingerprint = Fingerprint()
    var name = name
    name.withUTF8 { fingerprint.add(bytes: UnsafeRawBufferPointer($0)) }
    return fingerprint.value
}

private func trimmedJSON(_ text: String) -> Substring {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
    var s = Substring(text)
    while let first = s.first, isSpace(first) { s.removeFirst() }
    while let last = s.last, isSpace(last) { s.removeLast() }
    return s
}
