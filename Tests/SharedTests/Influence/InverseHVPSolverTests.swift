import Foundation
import Shared
import Testing

/// The three solvers against an independent dense solve, on a strictly convex
/// model (linear soft sharing, δ = 0) and a non-convex one (hard-sharing tanh
/// MLP, δ = 0.01), both trained to ‖∇L‖ ≤ 1e-10.
@Suite(.serialized) struct InverseHVPSolverTests {
    static let convex = Result { try InfluenceProblem.make(sharing: .soft, hidden: []) }
    static let mlp = Result { try InfluenceProblem.make(sharing: .hard, hidden: [8]) }

    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var damping: Double
        var description: String { name }
        func problem() throws -> InfluenceProblem {
            try (name == "convex" ? InverseHVPSolverTests.convex : InverseHVPSolverTests.mlp).get()
        }
    }

    static let cases = [Case(name: "convex", damping: 0), Case(name: "mlp", damping: 0.01)]

    @Test(arguments: cases) func exactMatchesAnIndependentDenseSolve(c: Case) throws {
        let problem = try c.problem()
        let rhs = problem.meanGradients()
        let solution = try ExactSolver().solve(problem.op(damping: c.damping), rhs: rhs, count: problem.tasks, log: quietLog)
        #expect(solution.report.factorization == "cholesky")
        let a = problem.denseMatrix(damping: c.damping)
        for r in 0 ..< problem.tasks {
            let x = row(solution.solutions, r, problem.p)
            let reference = gaussianSolve(a, row(rhs, r, problem.p))
            #expect(relativeError(x, reference) <= 1e-9, "row \(r)")
            // (H + δI) x = v to rounding.
            let ax = problem.op(damping: c.damping).apply(x)
            #expect(relativeError(ax, row(rhs, r, problem.p)) <= 1e-10, "row \(r)")
        }
        #expect(solution.report.residuals!.allSatisfy { $0 <= 1e-10 })
        #expect(solution.report.asymmetry! <= 1e-10)
    }

    @Test(arguments: cases) func conjugateGradientsMatchExact(c: Case) throws {
        let problem = try c.problem()
        let rhs = problem.meanGradients()
        let op = problem.op(damping: c.damping)
        let exact = try ExactSolver().solve(op, rhs: rhs, count: problem.tasks, log: quietLog)
        let cg = try ConjugateGradient().solve(op, rhs: rhs, count: problem.tasks, log: quietLog)
        let error = worstRowError(cg.solutions, exact.solutions, p: problem.p)
        print("measured: cg vs exact on \(c.name) (P = \(problem.p)): relative error \(error), iterations \(cg.report.iterations!)")
        #expect(error <= 1e-6)
        #expect(cg.report.converged! == Array(repeating: true, count: problem.tasks))
        #expect(cg.report.residuals!.allSatisfy { $0 <= 1e-8 })
        #expect(cg.report.iterations!.allSatisfy { $0 > 0 && $0 <= problem.p + 5 })
    }

    /// Default LiSSA settings: depth auto at accuracy 1e-3, batch 256 (more
    /// than N = 120, so the full Hessian, no minibatch noise), s = 1.1·(λ_max + δ).
    /// The depth follows from s/μ and the error meets the accuracy.
    @Test(arguments: cases) func lissaWithDefaultsMeetsItsAccuracy(c: Case) throws {
        let problem = try c.problem()
        let rhs = problem.meanGradients()
        let op = problem.op(damping: c.damping)
        let exact = try ExactSolver().solve(op, rhs: rhs, count: problem.tasks, log: quietLog)
        var lissa = LiSSA()
        lissa.curvatureFloor = c.name == "convex" ? 0.01 : 0
        let result = try lissa.solve(op, rhs: rhs, count: problem.tasks, log: quietLog)
        let error = worstRowError(result.solutions, exact.solutions, p: problem.p)
        let report = result.report
        let mu = c.damping + lissa.curvatureFloor
        let s = report.scale!
        print("measured: lissa (depth auto, accuracy 1e-3) vs exact on \(c.name): relative error \(error), depth \(report.depth!), s/μ = \(s / mu), error bounds \(report.errorBounds!)")
        #expect(report.depthRule == "auto")
        #expect(report.accuracy == 1e-3)
        #expect(report.depth == Int((log(1e-3) / log1p(-mu / s)).rounded(.up)))
        #expect(error <= 1e-3)
        // The residual bound is a bound: never below the true error.
        for r in 0 ..< problem.tasks {
            let rowError = relativeError(row(result.solutions, r, problem.p), row(exact.solutions, r, problem.p))
            #expect(report.errorBounds![r]! >= rowError, "row \(r)")
            #expect(report.residuals![r] > 0)
        }
    }

    /// Auto depth at three accuracies on both models (full batch): each meets
    /// its accuracy against exact, and the depth grows like ln(1/accuracy).
    @Test(arguments: cases) func lissaAutoDepthMeetsEachAccuracy(c: Case) throws {
        let problem = try c.problem()
        let rhs = problem.meanGradients()
        let op = problem.op(damping: c.damping)
        let exact = try ExactSolver().solve(op, rhs: rhs, count: problem.tasks, log: quietLog)
        var depths: [Int] = []
        for accuracy in [1e-2, 1e-4, 1e-6] {
            var lissa = LiSSA()
            lissa.curvatureFloor = c.name == "convex" ? 0.01 : 0
            lissa.accuracy = accuracy
            lissa.maxDepth = 100_000
            let result = try lissa.solve(op, rhs: rhs, count: problem.tasks, log: quietLog)
            let error = worstRowError(result.solutions, exact.solutions, p: problem.p)
            print("measured: lissa auto at accuracy \(accuracy) on \(c.name): error \(error), depth \(result.report.depth!), bound met \(result.report.accuracyMet!)")
            #expect(error <= accuracy, "accuracy \(accuracy)")
            depths.append(result.report.depth!)
        }
        // ln(1e-4)/ln(1e-2) = 2, ln(1e-6)/ln(1e-2) = 3.
        #expect(abs(Double(depths[1]) / Double(depths[0]) - 2) <= 0.01)
        #expect(abs(Double(depths[2]) / Double(depths[0]) - 3) <= 0.01)
    }

    /// A cap below the depth the accuracy needs: the cap is taken, and the
    /// report says the accuracy is not shown.
    @Test func lissaAutoDepthStopsAtItsCap() throws {
        let problem = try InverseHVPSolverTests.mlp.get()
        let rhs = problem.meanGradients()
        var lissa = LiSSA()
        lissa.maxDepth = 20
        let result = try lissa.solve(problem.op(damping: 0.01), rhs: rhs, count: problem.tasks, log: quietLog)
        #expect(result.report.depth == 20)
        #expect(result.report.accuracyMet == false)
        #expect(result.report.expectedRemainingError! > 1e-3)
    }

    /// A fixed depth keeps the old meaning: exactly that many steps, no accuracy claim.
    @Test func lissaFixedDepthRunsThatManySteps() throws {
        let problem = try InverseHVPSolverTests.mlp.get()
        var lissa = LiSSA()
        lissa.depth = 50
        let result = try lissa.solve(problem.op(damping: 0.01), rhs: problem.meanGradients(), count: problem.tasks, log: quietLog)
        #expect(result.report.depth == 50)
        #expect(result.report.depthRule == "fixed")
        #expect(result.report.iterations == Array(repeating: 50, count: problem.tasks))
        #expect(result.report.accuracyMet == nil)
    }

    @Test func lissaWithMinibatchesIsCloseAndSpreadIsReported() throws {
        let problem = try InverseHVPSolverTests.convex.get()
        let rhs = problem.meanGradients()
        let op = problem.op(damping: 0)
        let exact = try ExactSolver().solve(op, rhs: rhs, count: problem.tasks, log: quietLog)
        var lissa = LiSSA()
        lissa.batchSize = 40
        lissa.repeats = 3
        lissa.curvatureFloor = 0.01
        let result = try lissa.solve(op, rhs: rhs, count: problem.tasks, log: quietLog)
        let error = worstRowError(result.solutions, exact.solutions, p: problem.p)
        let spread = result.report.spread!
        print("measured: lissa batch 40 of 120, 3 repeats, on convex: relative error \(error), spread \(spread)")
        #expect(spread.count == problem.tasks)
        #expect(spread.allSatisfy { $0 > 0 && $0 < 1 })
        #expect(error <= 0.2)
        #expect(result.report.batchSize == 40)
    }

    @Test func manyRightHandSidesEqualSolvingEachAlone() throws {
        let problem = try InverseHVPSolverTests.mlp.get()
        let rhs = problem.meanGradients()
        let op = problem.op(damping: 0.01)
        var lissa = LiSSA()
        lissa.depth = 200
        lissa.batchSize = 40
        let solvers: [(String, (HessianOperator, [Double], Int) throws -> [Double])] = [
            ("exact", { try ExactSolver().solve($0, rhs: $1, count: $2, log: quietLog).solutions }),
            ("cg", { try ConjugateGradient().solve($0, rhs: $1, count: $2, log: quietLog).solutions }),
            ("lissa", { try lissa.solve($0, rhs: $1, count: $2, log: quietLog).solutions }),
        ]
        for (name, solve) in solvers {
            let together = try solve(op, rhs, problem.tasks)
            for r in 0 ..< problem.tasks {
                let alone = try solve(op, row(rhs, r, problem.p), 1)
                #expect(relativeError(alone, row(together, r, problem.p)) <= 1e-14, "\(name) row \(r)")
            }
        }
    }

    @Test func lissaIsDeterministicBySeed() throws {
        let problem = try InverseHVPSolverTests.mlp.get()
        let rhs = problem.meanGradients()
        let op = problem.op(damping: 0.01)
        var lissa = LiSSA()
        lissa.depth = 100
        lissa.batchSize = 20
        let a = try lissa.solve(op, rhs: rhs, count: problem.tasks, log: quietLog).solutions
        let b = try lissa.solve(op, rhs: rhs, count: problem.tasks, log: quietLog).solutions
        lissa.seed = 1
        let c = try lissa.solve(op, rhs: rhs, count: problem.tasks, log: quietLog).solutions
        #expect(a == b)
        #expect(a != c)
    }

    @Test func lissaEarlyStopRecordsFewerSteps() throws {
        let problem = try InverseHVPSolverTests.convex.get()
        let rhs = problem.meanGradients()
        var lissa = LiSSA()
        lissa.depth = 20_000
        lissa.tolerance = 1e-6
        let result = try lissa.solve(problem.op(damping: 0), rhs: rhs, count: problem.tasks, log: quietLog)
        #expect(result.report.iterations!.allSatisfy { $0 < 20_000 })
        let exact = try ExactSolver().solve(problem.op(damping: 0), rhs: rhs, count: problem.tasks, log: quietLog)
        #expect(worstRowError(result.solutions, exact.solutions, p: problem.p) <= 1e-3)
    }

    // MARK: Failures

    @Test func lissaWithTooSmallAScaleSaysRaiseTheScale() throws {
        let problem = try InverseHVPSolverTests.convex.get()
        var lissa = LiSSA()
        lissa.scale = 0.01
        expectMTIFError(.computation, containing: ["diverged", "not above λ_max"], hint: "raise --scale to at least") {
            _ = try lissa.solve(problem.op(damping: 0), rhs: problem.meanGradients(), count: problem.tasks, log: quietLog)
        }
    }

    /// Untrained tanh MLP with a small ridge: H has negative eigenvalues, δ = 0.
    @Test func lissaWithTooLittleDampingOnANonConvexModelSaysRaiseTheDamping() throws {
        let problem = try InfluenceProblem.make(sharing: .hard, hidden: [8], lambda: 1e-4, maxIterations: 3)
        let a = problem.denseMatrix(damping: 0)
        let lambdaMin = denseSmallestEigenvalue(a, problem.p)
        #expect(lambdaMin < 0)
        var suggested = 0.0
        do {
            _ = try LiSSA().solve(problem.op(damping: 0), rhs: problem.meanGradients(), count: problem.tasks, log: quietLog)
            Issue.record("lissa did not detect divergence (λ_min = \(lambdaMin))")
        } catch let error as MTIFError {
            #expect(error.kind == .computation)
            #expect(error.message.contains("diverged"), "\(error.message)")
            let hint = try #require(error.hint)
            #expect(hint.contains("raise --damping to at least"), "\(hint)")
            suggested = Double(hint.split(separator: " ").last!.trimmingCharacters(in: .punctuationCharacters)) ?? 0
        }
        print("measured: λ_min(H) = \(lambdaMin), lissa suggests --damping \(suggested)")
        #expect(suggested >= -lambdaMin)
        // The suggested damping works.
        let exact = try ExactSolver().solve(problem.op(damping: suggested), rhs: problem.meanGradients(), count: problem.tasks, log: quietLog)
        #expect(exact.report.factorization == "cholesky")
    }

    @Test func conjugateGradientsStopOnNegativeCurvature() throws {
        let problem = try InfluenceProblem.make(sharing: .hard, hidden: [8], lambda: 1e-4, maxIterations: 3)
        expectMTIFError(.computation, containing: ["non-positive curvature"], hint: "raise --damping to at least") {
            _ = try ConjugateGradient().solve(problem.op(damping: 0), rhs: problem.meanGradients(), count: problem.tasks, log: quietLog)
        }
    }

    @Test func exactFallsBackToLUWhenIndefinite() throws {
        let problem = try InfluenceProblem.make(sharing: .hard, hidden: [8], lambda: 1e-4, maxIterations: 3)
        let rhs = problem.meanGradients()
        let solution = try ExactSolver().solve(problem.op(damping: 0), rhs: rhs, count: problem.tasks, log: quietLog)
        #expect(solution.report.factorization == "lu")
        #expect(solution.report.lambdaMin! < 0)
        #expect(solution.report.residuals!.allSatisfy { $0 <= 1e-8 })
    }

    @Test func exactRefusesAboveTheSizeLimit() throws {
        let problem = try InverseHVPSolverTests.convex.get()
        expectMTIFError(.usage, containing: ["above the limit of 10"]) {
            _ = try ExactSolver(maxParameters: 10).solve(problem.op(damping: 0), rhs: problem.meanGradients(), count: problem.tasks, log: quietLog)
        }
    }

    @Test func defaultDampingIsZeroOnlyForStrictlyConvexModels() throws {
        let convex = try InverseHVPSolverTests.convex.get().model.architecture
        let mlp = try InverseHVPSolverTests.mlp.get().model.architecture
        #expect(defaultDamping(for: convex) == 0)
        #expect(defaultDamping(for: mlp) == 0.01)
        var unregularized = convex
        unregularized.lambda = 0
        #expect(defaultDamping(for: unregularized) == 0.01)
    }
}

/// Power iteration on operators with known spectra.
@Suite struct PowerIterationTests {
    @Test func findsBothEndsOfADiagonalSpectrum() {
        let diagonal: [Double] = [1, 2, 3, 5, 10]
        let apply: ([Double]) -> [Double] = { v in zip(diagonal, v).map { $0 * $1 } }
        let power = PowerIteration(tolerance: 1e-10, maxIterations: 2000)
        let top = power.largest(dimension: 5, apply)
        #expect(abs(top.value - 10) <= 1e-6)
        #expect(top.value <= 10 + 1e-12)
        let bottom = power.smallest(dimension: 5, largest: top.value, apply)
        #expect(abs(bottom.value - 1) <= 1e-4)
    }

    @Test func largestIsFoundWhenTheDominantEigenvalueIsNegative() {
        let diagonal: [Double] = [-5, 1, 2]
        let apply: ([Double]) -> [Double] = { v in zip(diagonal, v).map { $0 * $1 } }
        let power = PowerIteration(tolerance: 1e-10, maxIterations: 2000)
        let top = power.largest(dimension: 3, apply)
        #expect(abs(top.value - 2) <= 1e-6)
        #expect(abs(power.smallest(dimension: 3, largest: top.value, apply).value + 5) <= 1e-6)
    }
}

/// λ_min of a dense symmetric matrix by inverse-free shifted power iteration, long.
func denseSmallestEigenvalue(_ a: [Double], _ p: Int) -> Double {
    let apply: ([Double]) -> [Double] = { v in
        (0 ..< p).map { i in (0 ..< p).reduce(0) { $0 + a[i * p + $1] * v[$1] } }
    }
    let power = PowerIteration(tolerance: 1e-10, maxIterations: 5000)
    let top = power.largest(dimension: p, apply)
    return power.smallest(dimension: p, largest: top.value, apply).value
}

