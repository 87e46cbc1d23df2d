import Testing
import Shared

@Suite struct SyntheticDataTests {
    @Test func sameSeedIsIdenticalAndAnotherSeedDiffers() throws {
        var spec = SyntheticSpec()
        spec.seed = 11
        let a = try makeSyntheticData(spec)
        let b = try makeSyntheticData(spec)
        #expect(a == b)
        spec.seed = 12
        let c = try makeSyntheticData(spec)
        #expect(a.count == c.count)
        #expect(zip(a, c).filter { $0.x == $1.x }.isEmpty)
    }

    @Test func defaultsHaveExactCountsIdsAndExtras() throws {
        let spec = SyntheticSpec()
        let data = try makeSyntheticData(spec)
        #expect(data.count == 6 * 300)
        #expect(Set(data.map(\.id)).count == data.count)
        #expect(data[0].id == "t01-0000" && data[0].task == "t01")
        #expect(data[299].id == "t01-0299")
        #expect(data[300].id == "t02-0000")
        #expect(data.last!.id == "t06-0299")
        #expect(Set(data.map(\.task)) == ["t01", "t02", "t03", "t04", "t05", "t06"])
        for task in 1 ... 6 {
            let name = "t0\(task)"
            let rows = data.filter { $0.task == name }
            #expect(rows.filter { $0.extra("split") == "\"train\"" }.count == 60)
            #expect(rows.filter { $0.extra("split") == "\"val\"" }.count == 40)
            #expect(rows.filter { $0.extra("split") == "\"test\"" }.count == 200)
        }
        for example in data {
            #expect(example.x.count == 10)
            #expect(example.extras.map(\.key) == ["split", "corrupted", "unrelated"])
            #expect(["true", "false"].contains(example.extra("corrupted")!))
            #expect(["true", "false"].contains(example.extra("unrelated")!))
            let c = try #require(classIndex(example))
            #expect(c >= 0 && c < 3)
        }
    }

    @Test func unrelatedTasksAndCorruptionFollowTheSettings() throws {
        for seed in UInt64(0) ..< 5 {
            var spec = SyntheticSpec()
            spec.seed = seed
            let data = try makeSyntheticData(spec)
            var unrelatedTasks = Set<String>()
            for task in Set(data.map(\.task)) {
                let rows = data.filter { $0.task == task }
                let flags = Set(rows.map { $0.extra("unrelated")! })
                #expect(flags.count == 1, "task \(task) has mixed unrelated flags")
                let unrelated = flags.first == "true"
                if unrelated { unrelatedTasks.insert(task) }
                let corrupted = rows.filter { $0.extra("corrupted") == "true" }
                #expect(corrupted.allSatisfy { $0.extra("split") == "\"train\"" })
                if unrelated {
                    #expect(corrupted.isEmpty)
                } else {
                    // 15% of 60 training examples.
                    #expect(abs(corrupted.count - 9) <= 1)
                }
            }
            #expect(unrelatedTasks.count == 2)
        }
        var spec = SyntheticSpec()
        spec.tasks = 10; spec.unrelatedFraction = 0.25; spec.corruptFraction = 0.1; spec.train = 50
        let truth = try SyntheticTruth(spec)
        #expect(truth.unrelated.filter { $0 }.count == 3)  // round(2.5) = 3
        #expect(spec.corruptedPerTask == 5)
        let data = makeSyntheticData(truth)
        #expect(data.filter { $0.extra("corrupted") == "true" }.count == 7 * 5)
        #expect(data[0].task == "t01" && data.last!.task == "t10")
        spec.tasks = 1; spec.unrelatedFraction = 0.9
        #expect(spec.unrelatedCount == 0)  // at least one task stays related
    }

    /// The planted structure is really in the data: per-task least-squares fits
    /// of the one-hot labels recover parameters that are more alike between
    /// related tasks than between a related and an unrelated task, and the true
    /// model predicts clean labels well but corrupted labels badly.
    @Test func plantedStructureIsMeasurable() throws {
        var spec = SyntheticSpec()
        spec.seed = 3
        spec.test = 3000
        let truth = try SyntheticTruth(spec)
        let data = makeSyntheticData(truth)
        var fits: [[Double]] = []
        for name in truth.taskNames {
            let clean = data.filter { $0.task == name && $0.extra("corrupted") == "false" }
            fits.append(try leastSquaresOneHot(clean, classes: spec.classes, features: spec.features))
        }
        var relatedPairs: [Double] = [], mixedPairs: [Double] = []
        for a in 0 ..< spec.tasks {
            for b in (a + 1) ..< spec.tasks {
                let similarity = cosine(fits[a], fits[b])
                switch (truth.unrelated[a], truth.unrelated[b]) {
                case (false, false): relatedPairs.append(similarity)
                case (false, true), (true, false): mixedPairs.append(similarity)
                case (true, true): break
                }
            }
        }
        #expect(relatedPairs.count == 6 && mixedPairs.count == 8)
        #expect(relatedPairs.min()! > mixedPairs.max()!, "related \(relatedPairs) vs mixed \(mixedPairs)")
        #expect(relatedPairs.min()! > 0.8)
        #expect(mixedPairs.map(abs).max()! < 0.7)

        let (cleanRight, cleanTotal) = agreement(truth, data) {
            $0.extra("corrupted") == "false" && $0.extra("split") == "\"test\""
        }
        let (corruptRight, corruptTotal) = agreement(truth, data) { $0.extra("corrupted") == "true" }
        let cleanAccuracy = Double(cleanRight) / Double(cleanTotal)
        let corruptAccuracy = Double(corruptRight) / Double(corruptTotal)
        #expect(corruptTotal == 4 * 9)
        #expect(cleanAccuracy > 0.8 && cleanAccuracy < 0.95, "Bayes accuracy \(cleanAccuracy)")
        #expect(corruptAccuracy < 0.2, "true model on corrupted labels \(corruptAccuracy)")
    }

    @Test func regressionHasValueLabelsAndCorruptionIsLarge() throws {
        var spec = SyntheticSpec()
        spec.kind = .regression
        spec.classes = 1  // ignored for regression
        spec.seed = 5
        let truth = try SyntheticTruth(spec)
        let data = makeSyntheticData(truth)
        var cleanResidual = 0.0, cleanCount = 0.0, corruptResidual = 0.0, corruptCount = 0.0
        for example in data {
            guard case .value(let y) = example.y else { Issue.record("label \(example.y)"); continue }
            let k = truth.taskNames.firstIndex(of: example.task)!
            let r = y - truth.scores(task: k, x: example.x)[0]
            if example.extra("corrupted") == "true" {
                corruptResidual += r * r; corruptCount += 1
            } else {
                cleanResidual += r * r; cleanCount += 1
            }
        }
        // Clean residuals are the noise (σ = 0.25); corrupted ones are several σ_y.
        let cleanRMS = (cleanResidual / cleanCount).squareRoot()
        #expect(abs(cleanRMS - 0.25) < 0.02, "clean residual RMS \(cleanRMS)")
        #expect(corruptCount == 36)
        #expect((corruptResidual / corruptCount).squareRoot() > 2, "corrupted residuals are not large")
    }

    @Test func invalidSettingsNameTheirFlag() {
        func check(_ flag: String, _ change: (inout SyntheticSpec) -> Void) {
            var spec = SyntheticSpec()
            change(&spec)
            expectMTIFError(.usage, containing: [flag]) { _ = try makeSyntheticData(spec) }
        }
        check("--tasks") { $0.tasks = 0 }
        check("--features") { $0.features = 0 }
        check("--classes") { $0.classes = 1 }
        check("--train") { $0.train = 0 }
        check("--val") { $0.val = 0 }
        check("--test") { $0.test = -1 }
        check("--unrelated") { $0.unrelatedFraction = 1 }
        check("--corrupt") { $0.corruptFraction = -0.1 }
        check("--deviation") { $0.taskDeviation = .nan }
        check("--noise") { $0.noise = -1 }
    }
}

/// How many of the examples `include` selects the true model labels right, of how many.
private func agreement(_ truth: SyntheticTruth, _ data: [Example], _ include: (Example) -> Bool) -> (Int, Int) {
    var right = 0, total = 0
    for example in data where include(example) {
        let k = truth.taskNames.firstIndex(of: example.task)!
        let label = classIndex(example) ?? -1
        if label == truth.predictClass(task: k, x: example.x) { right += 1 }
        total += 1
    }
    return (right, total)
}

/// Least-squares fit of one-hot labels on [x, 1]; returns the (C·D) slopes.
private func leastSquaresOneHot(_ examples: [Example], classes c: Int, features d: Int) throws -> [Double] {
    let p = d + 1
    var slopes: [Double] = []
    for cls in 0 ..< c {
        var a = [Double](repeating: 0, count: p * p), rhs = [Double](repeating: 0, count: p)
        for example in examples {
            let row = example.x + [1]
            let target = classIndex(example) == cls ? 1.0 : 0.0
            for i in 0 ..< p {
                rhs[i] += row[i] * target
                for j in 0 ..< p { a[i * p + j] += row[i] * row[j] }
            }
        }
        slopes += try #require(solve(a, rhs, p)).prefix(d)
    }
    return slopes
}

/// Gaussian elimination with partial pivoting on a (n, n) row-major system.
private func solve(_ matrix: [Double], _ rhs: [Double], _ n: Int) -> [Double]? {
    var a = matrix, b = rhs
    for col in 0 ..< n {
        let pivot = (col ..< n).max { abs(a[$0 * n + col]) < abs(a[$1 * n + col]) }!
        guard abs(a[pivot * n + col]) > 1e-12 else { return nil }
        if pivot != col {
            for j in 0 ..< n { a.swapAt(col * n + j, pivot * n + j) }
            b.swapAt(col, pivot)
        }
        for row in (col + 1) ..< n {
            let factor = a[row * n + col] / a[col * n + col]
            for j in col ..< n { a[row * n + j] -= factor * a[col * n + j] }
            b[row] -= factor * b[col]
        }
    }
    var x = [Double](repeating: 0, count: n)
    for row in stride(from: n - 1, through: 0, by: -1) {
        var sum = b[row]
        for j in (row + 1) ..< n { sum -= a[row * n + j] * x[j] }
        x[row] = sum / a[row * n + row]
    }
    return x
}

private func cosine(_ a: [Double], _ b: [Double]) -> Double {
    let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    let na = a.reduce(0) { $0 + $1 * $1 }.squareRoot(), nb = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return dot / (na * nb)
}
