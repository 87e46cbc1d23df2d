import Foundation
import Shared
import Testing

@Suite struct CorrelationTests {
    @Test func pearsonAndSpearmanOnKnownValues() throws {
        let x = [1.0, 2, 3, 4, 5]
        #expect(abs(try #require(pearson(x, [2, 4, 6, 8, 10])) - 1) < 1e-15)
        #expect(abs(try #require(pearson(x, [5, 4, 3, 2, 1])) + 1) < 1e-15)
        // Hand-computed: r = 0.8 for these pairs (sxy = 8, sxx = 10, syy = 10).
        #expect(abs(try #require(pearson(x, [1, 3, 2, 5, 4])) - 0.8) < 1e-15)
        // Monotone but not linear: Spearman 1, Pearson below 1.
        let cubic = x.map { $0 * $0 * $0 }
        #expect(abs(try #require(spearman(x, cubic)) - 1) < 1e-15)
        #expect(try #require(pearson(x, cubic)) < 0.99)
        #expect(pearson([1, 1, 1], [1, 2, 3]) == nil)
        #expect(pearson([1, 2], [1, 2]) == nil)
    }

    @Test func tiesShareTheirAverageRank() {
        #expect(ranks([10, 20, 20, 30]) == [1, 2.5, 2.5, 4])
        #expect(ranks([3, 1, 2]) == [3, 1, 2])
    }
}

@Suite struct PredictedEffectTests {
    /// Two tasks: a has 3 examples, b has 2; one target "a".
    private func table() throws -> ScoreTable {
        let lines = [
            #"{"type":"meta","sign":"positive = hurts"}"#,
            #"{"type":"score","id":"a0","task":"a","scores":{"a":0.3}}"#,
            #"{"type":"score","id":"a1","task":"a","scores":{"a":-0.1}}"#,
            #"{"type":"score","id":"a2","task":"a","scores":{"a":0.4}}"#,
            #"{"type":"score","id":"b0","task":"b","scores":{"a":0.05}}"#,
            #"{"type":"score","id":"b1","task":"b","scores":{"a":-0.25}}"#,
        ]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("scores-\(UUID().uuidString).ndjson").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return try ScoreTable(path: path)
    }

    @Test func tableDerivesCountsAndTaskSums() throws {
        let t = try table()
        #expect(t.targets == ["a"])
        #expect(t.counts == ["a": 3, "b": 2])
        #expect(abs(t.relatedness["a"]![0] - 0.6) < 1e-15)
        #expect(abs(t.relatedness["b"]![0] + 0.2) < 1e-15)
    }

    @Test func leaveOneOutMatchesTheSpecCorrection() throws {
        let t = try table()
        // score − (R − score)/(n − 1) = 0.3 − (0.6 − 0.3)/2 = 0.15
        let p = try predictedEffect(t, target: 0, removed: ["a0"], removedTasks: [], file: "f")
        #expect(abs(p.corrected - 0.15) < 1e-15)
        #expect(abs(p.uncorrected - 0.3) < 1e-15)
        // Between tasks: 0.05 − (−0.2 − 0.05)/1 = 0.3
        let q = try predictedEffect(t, target: 0, removed: ["b0"], removedTasks: [], file: "f")
        #expect(abs(q.corrected - 0.3) < 1e-15)
    }

    @Test func wholeTaskRemovalIsTheTaskSum() throws {
        let t = try table()
        let p = try predictedEffect(t, target: 0, removed: [], removedTasks: ["b"], file: "f")
        #expect(abs(p.corrected + 0.2) < 1e-15)
        #expect(abs(p.uncorrected + 0.2) < 1e-15)
    }

    @Test func subsetReweightsWhatIsKept() throws {
        let t = try table()
        // Remove a0 and a1 (m_a = 1): removed 0.2, kept a2 gains weight 3/1 − 1 = 2 → 0.2 − 2·0.4 = −0.6.
        let p = try predictedEffect(t, target: 0, removed: ["a0", "a1"], removedTasks: [], file: "f")
        #expect(abs(p.corrected + 0.6) < 1e-14)
        #expect(abs(p.uncorrected - 0.2) < 1e-15)
        #expect(throws: MTIFError.self) { try predictedEffect(t, target: 0, removed: ["zz"], removedTasks: [], file: "f") }
    }
}

@Suite struct SpreadTests {
    @Test func medianQuartilesAndRange() {
        let s = Spread([4, 1, 3, 2, 5])
        #expect(s.median == 3 && s.q1 == 2 && s.q3 == 4 && s.min == 1 && s.max == 5)
        let even = Spread([1, 2, 3, 4])
        #expect(even.median == 2.5 && even.q1 == 1.75 && even.q3 == 3.25)
        #expect(Spread([0.7]).median == 0.7)
        #expect(median([3, 1, 2, 10]) == 2.5)
    }
}
