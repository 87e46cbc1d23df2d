/// The largest scale among the features and the regression targets of a
/// training set: far from 1, tanh units saturate and the objective's curvature
/// spreads over many orders of magnitude, so L-BFGS and even Newton crawl. The
/// trainer reports it, and names it when training stops short.
package struct ScaleCheck: Equatable, Sendable {
    /// What is off: "feature 3" (0-based) or "the targets of task t01".
    package var worst: String
    /// Its population mean and standard deviation.
    package var mean: Double
    package var std: Double

    /// A scale beyond this (|mean| or std) is reported.
    package static let limit = 10.0

    /// max(|mean|, std) of the worst column.
    package var scale: Double { max(abs(mean), std) }

    /// nil when every feature, and every regression task's targets, has
    /// |mean| ≤ `limit` and std ≤ `limit`.
    package init?(_ examples: [Example], regression: Bool) {
        guard let d = examples.first?.x.count, !examples.isEmpty else { return nil }
        var sum = [Double](repeating: 0, count: d), squares = sum
        for e in examples where e.x.count == d {
            for j in 0 ..< d { sum[j] += e.x[j]; squares[j] += e.x[j] * e.x[j] }
        }
        let n = Double(examples.count)
        var best: (String, Double, Double)? = nil
        func consider(_ name: String, _ s: Double, _ s2: Double, _ count: Double) {
            let mean = s / count, std = max(s2 / count - mean * mean, 0).squareRoot()
            let scale = max(abs(mean), std)
            if scale > ScaleCheck.limit, scale > (best.map { max(abs($0.1), $0.2) } ?? 0) { best = (name, mean, std) }
        }
        for j in 0 ..< d { consider("feature \(j)", sum[j], squares[j], n) }
        if regression {
            var byTask: [String: (Double, Double, Double)] = [:]
            for e in examples {
                guard let y = e.y.numericValue else { continue }
                let t = byTask[e.task, default: (0, 0, 0)]
                byTask[e.task] = (t.0 + y, t.1 + y * y, t.2 + 1)
            }
            for task in byTask.keys.sorted() {
                let t = byTask[task]!
                consider("the targets of task \(task)", t.0, t.1, t.2)
            }
        }
        guard let (worst, mean, std) = best else { return nil }
        (self.worst, self.mean, self.std) = (worst, mean, std)
    }

    /// "feature 3 has mean 30, std 9.8".
    package var summary: String { "\(worst) has mean \(short(mean)), std \(short(std))" }

    /// What to do about it: mtif-data standardize scales the features only.
    package var remedy: String {
        worst.hasPrefix("feature")
            ? "standardise the features: mtif-data standardize --fit TRAIN"
            : "centre and scale the targets, (y − mean)/std per task (mtif-data standardize scales the features only)"
    }
}
