import Foundation
import Shared
import Testing

/// Block CG against the exact solve on the solver tests' convex and MLP
/// models, with task-mean and single-test-point right-hand sides, and on
/// blocks whose rows are dependent (the rank-revealing orthonormalisation).
@Suite(.serialized) struct BlockConjugateGradientTests {
    typealias Case = InverseHVPSolverTests.Case

    /// (T, P) ∇ℓ(w*; z) of the first `count` validation examples: single test points.
    static func testPointGradients(_ problem: InfluenceProblem, count: Int) -> [Double] {
        var rows: [Double] = []
        for i in 0 ..< count {
            var g = [Double](repeating: 0, count: problem.p)
            _ = problem.model.objective(problem.parameters, problem.validation.subset([i]), regularized: false, gradient: &g)
            rows += g
        }
        return rows
    }

    @Test(arguments: InverseHVPSolverTests.cases) func blockCGMatchesExactInFewerIterationsThanCG(c: Case) throws {
        let problem = try c.problem()
        let op = problem.op(damping: c.damping)
        for (kind, rhs) in [("task means", problem.meanGradients()), ("test points", Self.testPointGradients(problem, count: 12))] {
            let count = rhs.count / problem.p
            let exact = try ExactSolver().solve(op, rhs: rhs, count: count, log: quietLog)
            let bcg = try BlockConjugateGradient(tolerance: 1e-10).solve(op, rhs: rhs, count: count, log: quietLog)
            let cg = try ConjugateGradient(tolerance: 1e-10).solve(op, rhs: rhs, count: count, log: quietLog)
            let error = worstRowError(bcg.solutions, exact.solutions, p: problem.p)
            let blockIterations = bcg.report.iterations!.max()!, cgIterations = cg.report.iterations!.max()!
            print("measured: bcg vs exact on \(c.name), \(kind) (P = \(problem.p), R = \(count)): error \(error), iterations \(blockIterations) (cg \(cgIterations)), HVPs \(bcg.report.hessianVectorProducts) (cg \(cg.report.hessianVectorProducts))")
            #expect(error <= 1e-8, "\(kind)")
            #expect(bcg.report.converged! == Array(repeating: true, count: count), "\(kind)")
            #expect(bcg.report.residuals!.allSatisfy { $0 <= 1e-9 }, "\(kind)")
            // The block Krylov space holds every row's own: never more iterations than CG, here far fewer.
            #expect(blockIterations < cgIterations, "\(kind)")
            #expect(bcg.report.blockSizes!.allSatisfy { $0 >= 1 && $0 <= count }, "\(kind)")
            #expect(bcg.report.blockSizes!.reduce(0, +) + count == bcg.report.hessianVectorProducts, "\(kind)")
        }
    }

    /// A zero row, a repeated row and a multiple of another row: the block
    /// loses rank at once; every row is still solved.
    @Test func dependentAndZeroRowsAreSolved() throws {
        let problem = try InverseHVPSolverTests.mlp.get()
        let p = problem.p
        let op = problem.op(damping: 0.01)
        let means = problem.meanGradients()
        let rhs = row(means, 0, p) + [Double](repeating: 0, count: p) + row(means, 1, p) + row(means, 0, p)
            + row(means, 1, p).map { -3 * $0 }
        let exact = try ExactSolver().solve(op, rhs: rhs, count: 5, log: quietLog)
        let bcg = try BlockConjugateGradient(tolerance: 1e-10).solve(op, rhs: rhs, count: 5, log: quietLog)
        #expect(bcg.report.blockSizes!.first == 2)
        #expect(row(bcg.solutions, 1, p).allSatisfy { $0 == 0 })
        for r in [0, 2, 3, 4] {
            #expect(relativeError(row(bcg.solutions, r, p), row(exact.solutions, r, p)) <= 1e-8, "row \(r)")
        }
        #expect(bcg.report.converged! == Array(repeating: true, count: 5))
    }

    @Test func nonPositiveCurvatureNamesADamping() throws {
        let problem = try InfluenceProblem.make(sharing: .hard, hidden: [8], lambda: 1e-4, maxIterations: 3)
        expectMTIFError(.computation, containing: ["non-positive curvature"], hint: "raise --damping to at least") {
            _ = try BlockConjugateGradient().solve(problem.op(damping: 0), rhs: problem.meanGradients(), count: problem.tasks, log: quietLog)
        }
    }
}
