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
