import Foundation
import Shared
import Testing

/// Solver timings at HAR size (30 tasks × 245 training rows, 561 features,
/// hard sharing with 64 tanh units, P ≈ 47,700). Runs only with MTIF_BENCH=1;
/// MTIF_BENCH_RHS sets how many ∇V_k rows to solve (default 2).
@Suite struct InverseHVPBenchmarkTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MTIF_BENCH"] != nil))
    func solversAtHARSize() throws {
        let rows = Int(ProcessInfo.processInfo.environment["MTIF_BENCH_RHS"] ?? "") ?? 2
        var clock = Date()
        var problem = try InfluenceProblem.make(
            sharing: .hard, hidden: [64], tasks: 30, features: 561, classes: 6, train: 245, seed: 1,
            maxIterations: 200)
        print("bench: trained P = \(problem.p), N = \(problem.train.count) in \(-clock.timeIntervalSinceNow) s")
        problem.validation = problem.validation.subset(Array(0 ..< problem.validation.count))
        let rhs = Array(problem.meanGradients()[0 ..< rows * problem.p])
        let op = problem.op(damping: 0.01)
        let log = Log(tool: "bench", quiet: false)
        clock = Date()
        var cg = ConjugateGradient()
        cg.tolerance = 1e-6
        let reference = try cg.solve(op, rhs: rhs, count: rows, log: log)
        print("bench: cg (tol 1e-6) \(-clock.timeIntervalSinceNow) s, iterations \(reference.report.iterations!), residuals \(reference.report.residuals!)")
        for depth in [1000, 5000] {
            clock = Date()
            var lissa = LiSSA()
            lissa.depth = depth
            let result = try lissa.solve(op, rhs: rhs, count: rows, log: log)
            let errors = (0 ..< rows).map { relativeError(row(result.solutions, $0, problem.p), row(reference.solutions, $0, problem.p)) }
            print("bench: lissa depth \(depth), batch 256: \(-clock.timeIntervalSinceNow) s, λ_max ≈ \(result.report.lambdaMax!), s = \(result.report.scale!), relative error vs cg \(errors)")
        }
    }
}
