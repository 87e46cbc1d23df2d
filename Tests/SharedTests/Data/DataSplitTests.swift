import Testing
import Shared

@Suite struct DataSplitTests {
    /// Tasks "a" (10 examples), "b" (7), "c" (3), interleaved.
    private func fixture(extraTask: Bool = false) -> [Example] {
        var examples: [Example] = []
        let sizes = [("a", 10), ("b", 7), ("c", 3)] + (extraTask ? [("d", 12)] : [])
        for i in 0 ..< 12 {
            for (task, n) in sizes where i < n {
                examples.append(Example(id: "\(task)\(i)", task: task, x: [Double(i)], y: .index(i % 2)))
            }
        }
        return examples
    }

    private let fractions = (train: 0.6, val: 0.2, test: 0.2)

    private func ids(_ examples: [Example]) -> [String] { examples.map(\.id) }

    @Test func countsPerTaskAndEveryTaskInEverySplit() throws {
        let parts = try splitByTask(fixture(), fractions: fractions, seed: 1)
        func count(_ part: [Example], _ task: String) -> Int { part.filter { $0.task == task }.count }
        // a: 10 → 6/2/2; b: 7 → val round(1.4)=1, test 1, train 5; c: 3 → 1/1/1.
        #expect([count(parts.train, "a"), count(parts.val, "a"), count(parts.test, "a")] == [6, 2, 2])
        #expect([count(parts.train, "b"), count(parts.val, "b"), count(parts.test, "b")] == [5, 1, 1])
        #expect([count(parts.train, "c"), count(parts.val, "c"), count(parts.test, "c")] == [1, 1, 1])
        #expect(parts.train.count + parts.val.count + parts.test.count == 20)
        let all = Set(ids(parts.train) + ids(parts.val) + ids(parts.test))
        #expect(all == Set(ids(fixture())))
    }

    @Test func tinyFractionsStillGiveEverySplitAnExample() throws {
        let parts = try splitByTask(fixture(), fractions: (0.98, 0.01, 0.01), seed: 4)
        for task in ["a", "b", "c"] {
            #expect(parts.val.contains { $0.task == task })
            #expect(parts.test.contains { $0.task == task })
        }
        #expect(parts.train.filter { $0.task == "a" }.count == 8)
        let heavyTest = try splitByTask(fixture(), fractions: (0.01, 0.01, 0.98), seed: 4)
        #expect(heavyTest.train.filter { $0.task == "c" }.count == 1)
        #expect(heavyTest.test.filter { $0.task == "a" }.count == 8)
    }

    @Test func partsKeepTheInputOrder() throws {
        let input = ids(fixture())
        let parts = try splitByTask(fixture(), fractions: fractions, seed: 9)
        for part in [parts.train, parts.val, parts.test] {
            let positions = ids(part).map { input.firstIndex(of: $0)! }
            #expect(positions == positions.sorted())
        }
    }

    @Test func sameSeedSameSplitOtherSeedDifferent() throws {
        let a = try splitByTask(fixture(), fractions: fractions, seed: 21)
        let b = try splitByTask(fixture(), fractions: fractions, seed: 21)
        #expect(ids(a.train) == ids(b.train) && ids(a.val) == ids(b.val) && ids(a.test) == ids(b.test))
        var differs = false
        for seed in UInt64(22) ..< 26 {
            let c = try splitByTask(fixture(), fractions: fractions, seed: seed)
            if ids(c.val) != ids(a.val) { differs = true }
        }
        #expect(differs)
    }

    @Test func addingATaskLeavesOtherTasksUnchanged() throws {
        let before = try splitByTask(fixture(), fractions: fractions, seed: 5)
        let after = try splitByTask(fixture(extraTask: true), fractions: fractions, seed: 5)
        func without(_ part: [Example]) -> [String] { ids(part.filter { $0.task != "d" }) }
        #expect(ids(before.train) == without(after.train))
        #expect(ids(before.val) == without(after.val))
        #expect(ids(before.test) == without(after.test))
        #expect(after.val.contains { $0.task == "d" })
    }

    @Test func splitFieldIsHonouredWhenEveryExampleHasIt() throws {
        var spec = SyntheticSpec()
        spec.tasks = 3; spec.train = 5; spec.val = 3; spec.test = 4
        let data = try makeSyntheticData(spec)
        #expect(splitMode(of: data) == .field)
        let parts = try splitExamples(data, fractions: fractions, seed: 0)
        #expect(parts.train.count == 15 && parts.val.count == 9 && parts.test.count == 12)
        #expect(parts.train.allSatisfy { $0.extra("split") == "\"train\"" })
        #expect(parts.test.allSatisfy { $0.extra("split") == "\"test\"" })
        #expect(ids(parts.train) == ids(data.filter { $0.extra("split") == "\"train\"" }))

        // One example without the field: fractions decide.
        var mixed = data
        mixed[0].extras = []
        #expect(splitMode(of: mixed) == .fractions)
        #expect(splitMode(of: fixture()) == .fractions)
        let byFractions = try splitExamples(mixed, fractions: (0.5, 0.25, 0.25), seed: 0)
        #expect(byFractions.train.count == 3 * 6)
    }

    @Test func errorsNameTheProblem() {
        expectMTIFError(.usage, containing: ["sum to 1"]) {
            _ = try splitByTask(fixture(), fractions: (0.5, 0.2, 0.2), seed: 0)
        }
        expectMTIFError(.usage, containing: ["positive"]) {
            _ = try splitByTask(fixture(), fractions: (1.0, 0.0, 0.0), seed: 0)
        }
        expectMTIFError(.usage, containing: ["positive"]) {
            _ = try splitByTask(fixture(), fractions: (1.2, -0.1, -0.1), seed: 0)
        }
        let small = fixture() + [Example(id: "z0", task: "zz", x: [0], y: .index(0)),
                                 Example(id: "z1", task: "zz", x: [0], y: .index(1))]
        expectMTIFError(.input, containing: ["\"zz\"", "2 examples", "at least 3"]) {
            _ = try splitByTask(small, fractions: (0.6, 0.2, 0.2), seed: 0)
        }
        var bad = fixture().map { e -> Example in
            var e = e
            e.extras = [ExtraField(key: "split", json: "\"train\"")]
            return e
        }
        bad[4].extras = [ExtraField(key: "split", json: "\"validation\"")]
        expectMTIFError(.input, containing: ["\"\(bad[4].id)\"", "validation", "split"]) {
            _ = try splitExamples(bad, fractions: (0.6, 0.2, 0.2), seed: 0)
        }
    }
}

/// `splitByBlocks`: contiguous blocks per task, dealt to the parts by seed, gaps at part boundaries.
@Suite struct BlockSplitTests {
    /// Task "a": 20 examples x = 0…19 in time order; task "b": 12, interleaved with a.
    private func series() -> [Example] {
        var examples: [Example] = []
        for i in 0 ..< 20 {
            examples.append(Example(id: "a\(i)", task: "a", x: [Double(i)], y: .index(i % 2)))
            if i < 12 { examples.append(Example(id: "b\(i)", task: "b", x: [Double(i)], y: .index(0))) }
        }
        return examples
    }

    private let fractions = (train: 0.6, val: 0.2, test: 0.2)

    /// Positions (x) of task a's examples in a part.
    private func positions(_ part: [Example], _ task: String = "a") -> [Int] {
        part.filter { $0.task == task }.map { Int($0.x[0]) }
    }

    @Test func blocksAreContiguousAndCounted() throws {
        let parts = try splitByBlocks(series(), blocks: BlockSplit(count: 5), fractions: fractions, seed: 3)
        // a: 5 blocks of 4 → 3 train, 1 val, 1 test block; b: blocks of 2 or 3 (12/5).
        let train = positions(parts.train), val = positions(parts.val), test = positions(parts.test)
        #expect(train.count == 12 && val.count == 4 && test.count == 4)
        #expect(Set(train + val + test) == Set(0 ..< 20))
        for part in [val, test] {
            #expect(part.count == 4 && part[0] % 4 == 0 && part == Array(part[0] ..< part[0] + 4), "\(part)")
        }
        let b = [parts.train, parts.val, parts.test].map { positions($0, "b").count }
        #expect(b.reduce(0, +) == 12 && b[1] >= 2 && b[2] >= 2)
        // Input order within a part.
        #expect(train == train.sorted())
    }

    @Test func gapsSeparateEveryPartBoundary() throws {
        let parts = try splitByBlocks(series(), blocks: BlockSplit(count: 5, gap: 1), fractions: fractions, seed: 3)
        var partOf: [Int: Int] = [:]
        for (k, part) in [parts.train, parts.val, parts.test].enumerated() {
            for p in positions(part) { partOf[p] = k }
        }
        // No two neighbours (i, i+1) are in different parts, and each boundary costs one example.
        for i in 0 ..< 19 {
            if let a = partOf[i], let b = partOf[i + 1] { #expect(a == b, "\(i) in part \(a), \(i + 1) in part \(b)") }
        }
        let dropped = 20 - partOf.count
        #expect(dropped >= 1 && dropped <= 4)
        let noGap = try splitByBlocks(series(), blocks: BlockSplit(count: 5), fractions: fractions, seed: 3)
        // The same blocks go to the same parts; the gap only removes examples.
        #expect(Set(positions(parts.val)).isSubset(of: Set(positions(noGap.val))))
        #expect(Set(positions(parts.test)).isSubset(of: Set(positions(noGap.test))))
    }

    @Test func seededAndPerTask() throws {
        let a = try splitByBlocks(series(), blocks: BlockSplit(count: 5), fractions: fractions, seed: 11)
        let b = try splitByBlocks(series(), blocks: BlockSplit(count: 5), fractions: fractions, seed: 11)
        #expect(a.test.map(\.id) == b.test.map(\.id))
        var differs = false
        for seed: UInt64 in 0 ..< 8 {
            let c = try splitByBlocks(series(), blocks: BlockSplit(count: 5), fractions: fractions, seed: seed)
            if c.test.map(\.id) != a.test.map(\.id) { differs = true }
        }
        #expect(differs)
        // Through splitExamples, blocks win over a split field.
        let fielded = series().map { e -> Example in var e = e; e.extras = [ExtraField(key: "split", json: "\"train\"")]; return e }
        let viaField = try splitExamples(fielded, fractions: fractions, seed: 11, blocks: BlockSplit(count: 5))
        #expect(viaField.test.map(\.id) == a.test.map(\.id))
    }

    /// A class that occurs in one block only (HAR: one activity after another)
    /// is dealt to training whenever some deal can; otherwise the deal holding most.
    @Test func trainingHoldsEveryClassOfTheTask() throws {
        // 5 blocks of 4; "seven" only in the last block, so a plain deal misses it 2 times in 5.
        let rare = (0 ..< 20).map { i in Example(id: "c\(i)", task: "c", x: [Double(i)], y: .name(i >= 16 ? "seven" : "zero")) }
        var valDeals = Set<[String]>()
        var redealtSeeds = 0
        for seed: UInt64 in 0 ..< 30 {
            let report = try splitByBlocksReporting(rare, blocks: BlockSplit(count: 5, gap: 1), fractions: fractions, seed: seed)
            let parts = report.parts
            #expect(report.uncovered.isEmpty)
            if report.redealt == ["c"] { redealtSeeds += 1 } else { #expect(report.redealt.isEmpty) }
            #expect(Set(parts.train.map(\.y)) == [.name("seven"), .name("zero")], "seed \(seed)")
            #expect(parts.val.count >= 3 && parts.test.count >= 3)
            valDeals.insert(parts.val.map(\.id))
        }
        // Still a seeded deal among the covering ones, not one fixed split: 4 blocks can be val.
        #expect(valDeals.count == 4)
        // A plain deal misses the last block 2 times in 5: some of 30 seeds dealt again, not all.
        #expect(redealtSeeds > 0 && redealtSeeds < 30, "\(redealtSeeds)")
        // Every block its own class: no deal covers 5 classes with 3 training blocks; the split still succeeds with 3.
        let distinct = (0 ..< 20).map { i in Example(id: "d\(i)", task: "d", x: [Double(i)], y: .index(i / 4)) }
        let report = try splitByBlocksReporting(distinct, blocks: BlockSplit(count: 5), fractions: fractions, seed: 0)
        #expect(Set(report.parts.train.map(\.y)).count == 3)
        #expect(report.uncovered.map(\.task) == ["d"] && report.uncovered.map(\.missing) == [2])
    }

    @Test func tooSmallTasksAndBadArgumentsAreErrors() {
        #expect(throws: MTIFError.self) { try splitByBlocks(series(), blocks: BlockSplit(count: 2), fractions: fractions, seed: 0) }
        // a has 20 examples: 12 blocks of 1 or 2 leave nothing after a gap of 1.
        do {
            _ = try splitByBlocks(series(), blocks: BlockSplit(count: 12, gap: 1), fractions: fractions, seed: 0)
            Issue.record("expected an error")
        } catch let error as MTIFError {
            #expect(error.message.contains("task \"a\" has 20 examples; 12 blocks with gap 1 need at least 24 per task"))
        } catch { Issue.record("\(error)") }
    }
}
