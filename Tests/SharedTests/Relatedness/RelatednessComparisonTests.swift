import Foundation
import Testing
import Shared

/// Agreement with LOTO (off-diagonal, per target and pooled) and the planted
/// AUC on hand-made matrices whose answers are known.
@Suite struct RelatednessComparisonTests {
    static func records(_ method: String, _ values: [[Double?]]) -> RelatednessRecords {
        RelatednessRecords(method: method, matrix: TaskMatrix(tasks: ["a", "b", "c", "d"], values: values), cost: nil)
    }

    static let truth = records("loto", [
        [nil, 0.1, 0.3, -0.2],
        [0.2, nil, -0.1, 0.4],
        [0.05, 0.6, nil, 0.0],
        [-0.3, 0.2, 0.1, nil],
    ])

    @Test func agreementIsOverOffDiagonalCells() {
        // A monotone transform of the truth with a huge diagonal: Spearman 1, diagonal ignored.
        let transformed = Self.truth.matrix.values.enumerated().map { l, row in
            row.enumerated().map { k, v in l == k ? 100 : v.map { exp(5 * $0) } }
        }
        let a = RelatednessAgreement(method: Self.records("m", transformed), truth: Self.truth)
        #expect(a.pooled.pairs == 12)
        #expect(abs(a.pooled.spearman! - 1) < 1e-12)
        #expect(a.pooled.pearson! < 1 && a.pooled.pearson! > 0.5)
        #expect(a.targets.count == 4 && a.targets.allSatisfy { $0.pairs == 3 && abs($0.spearman! - 1) < 1e-12 })
        let flipped = Self.truth.matrix.values.map { $0.map { $0.map { -$0 } } }
        let b = RelatednessAgreement(method: Self.records("m", flipped), truth: Self.truth)
        #expect(abs(b.pooled.pearson! + 1) < 1e-12)
        // Per target: target a's sources b, c, d have truth 0.2, 0.05, −0.3.
        let c = RelatednessAgreement(method: Self.records("m", [[nil, 1, 2, 3], [3, nil, 0, 0], [2, 0, nil, 0], [1, 0, 0, nil]]), truth: Self.truth)
        #expect(abs(c.targets[0].spearman! - 1) < 1e-12)
        #expect(c.targets[0].pearson == pearson([3, 2, 1], [0.2, 0.05, -0.3]))
    }

    @Test func plantedAUCRanksUnrelatedSources() {
        // d is unrelated: for targets a, b, c the source d has the largest value except for b (0.4 vs 0.6? no: column b).
        let m = Self.records("m", [
            [nil, 0.0, 0.0, 0.0],
            [0.1, nil, 0.0, 0.0],
            [0.2, 0.0, nil, 0.0],
            [0.9, -1.0, 0.5, nil],
        ])
        let p = PlantedRelatedness(method: m, unrelated: ["d"], tasks: ["a", "b", "c", "d"])
        // Targets a, b, c (d itself is unrelated and skipped); source d vs the two related sources of each:
        // a: 0.9 > 0.1, 0.2 (2 of 2); b: −1 < 0, 0 (0 of 2); c: 0.5 > 0, 0 (2 of 2) → 4/6.
        #expect(p.targets == 3)
        #expect(abs(p.auc! - 4.0 / 6) < 1e-12)
        #expect(p.unrelatedPairs == 3 && p.relatedPairs == 6)
        #expect(abs(p.unrelatedHarmful! - 2.0 / 3) < 1e-12)
        #expect(abs(p.relatedHarmful! - 2.0 / 6) < 1e-12)
    }
}
