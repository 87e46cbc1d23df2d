/// How far quantities measured at trained parameters w may still be from their
/// values at the exact stationary point w* (∇L(w*) = 0) that influence scores
/// and leave-one-out ground truth both assume: the error bar of an effect
/// V_k(full) − V_k(retrained) when the trainings stopped short of ∇L = 0.
///
/// Mathematics: one more Newton step from w, s = H⁻¹∇L(w) with H = ∇²L(w)
/// the exact Hessian of the training objective (Ω and the objective's own
/// weights included), moves w to w − s ≈ w*. To first order a quantity f
/// (a validation loss V_k, or one test point's loss) would still change by
/// −∇f(w)·s, so its error is |∇f(w)·s|: the change that the unfinished
/// optimisation would still make. Near a minimum this is accurate to second
/// order in ‖s‖ (Newton converges quadratically).
///
/// Solver: CG on H (δ = 0) from s = 0, relative residual 1e-6, at most 2,000
/// iterations (one significant digit is all an error bar needs, but a model
/// with κ(H) ≈ 10⁴, HAR's 64-tanh MLP, needs ~700 for any digit); an iterate
/// still above a relative residual of 0.1 at the cap is no estimate. If CG meets
/// non-positive curvature, H is not positive definite: w is not near a
/// minimum and a Newton step means nothing there, so the error is unknown
/// (nil) rather than a bound — ‖∇f‖·‖∇L‖/λ_min would divide by λ_min ≤ 0.
package struct NewtonStep: Sendable {
    package enum Method: String, Sendable, Comparable {
        /// CG reached its tolerance: errors from the Newton step.
        case newtonStep = "newton_step"
        /// CG stopped at its iteration cap with a relative residual ≤ 0.1:
        /// errors from its last iterate (about one digit).
        case newtonStepUnconverged = "newton_step_unconverged"
        /// CG stopped at its cap further off (H nearly singular): no estimate.
        case unknownUnconverged = "unknown_unconverged"
        /// H is not positive definite at w: no estimate.
        case unknownNonConvex = "unknown_nonconvex"

        /// Worse is larger: an estimate combining two is as good as the worse.
        package static func < (a: Method, b: Method) -> Bool { a.rank < b.rank }
        private var rank: Int {
            switch self {
            case .newtonStep: return 0
            case .newtonStepUnconverged: return 1
            case .unknownUnconverged: return 2
            case .unknownNonConvex: return 3
            }
        }

        package var isKnown: Bool { rank <= 1 }
    }

    /// (P) s = H⁻¹∇L(w), nil when unknown.
    package var step: [Double]?
    package var method: Method
    /// ‖∇L(w)‖, recomputed on the objective.
    package var gradientNorm: Double
    /// CG iterations taken.
    package var iterations: Int

    /// ‖s‖, the length of the step still to take.
    package var stepNorm: Double? { step.map(euclideanNorm) }

    /// The step at `parameters`, `batch` the rows of the objective they were
    /// fitted to (its weights included).
    package init(
        model: any MultitaskModel, parameters: [Double], batch: TaskBatch,
        tolerance: Double = 1e-6, maxIterations: Int = 2000
    ) throws {
        let p = model.layout.count
        var g = [Double](repeating: 0, count: p)  // (P) ∇L(w)
        let value = model.objective(parameters, batch, regularized: true, gradient: &g)
        guard value.isFinite, g.allSatisfy(\.isFinite) else {
            throw MTIFError.computation("the training objective is not finite at the parameters (NaN or Inf)",
                                        hint: "retrain the model; the parameter file may be damaged")
        }
        gradientNorm = euclideanNorm(g)
        guard gradientNorm > 0 else {
            step = [Double](repeating: 0, count: p); method = .newtonStep; iterations = 0
            return
        }
        let op = HessianOperator(model: model, parameters: parameters, batch: batch, damping: 0)
        var cg = ConjugateGradient(tolerance: tolerance, maxIterations: maxIterations)
        cg.stopAtNonPositiveCurvature = true
        let solution = try cg.solve(op, rhs: g, count: 1, log: Log(tool: "newton-step", quiet: true))
        iterations = solution.report.iterations?.first ?? 0
        let residual = solution.report.residuals?.first ?? .infinity
        if solution.report.nonPositiveCurvature?.first == true || !solution.solutions.allSatisfy(\.isFinite) {
            step = nil; method = .unknownNonConvex
        } else if solution.report.converged?.first == true {
            step = solution.solutions; method = .newtonStep
        } else if residual <= 0.1 {
            step = solution.solutions; method = .newtonStepUnconverged
        } else {
            step = nil; method = .unknownUnconverged
        }
    }

    /// |∇f(w)·s| for the gradient of f at w (P values), nil when unknown.
    package func error(of gradient: UnsafePointer<Double>) -> Double? {
        guard let step else { return nil }
        return step.withUnsafeBufferPointer { abs(dot(gradient, $0.baseAddress!, count: $0.count)) }
    }
}

extension NewtonStep {
    /// Saves the step for `key` (what it was computed from: the parameters'
    /// and the training set's fingerprints) as safetensors, tensor "step"
    /// (P) when known, metadata kind "newton_step", written atomically: the
    /// error bar of FULL is the same for every retrain, so it is solved once.
    package func write(to path: String, key: String) throws {
        let out = try OutputFile(path: path)
        let metadata = [
            "schema": ParameterFile.schemaVersion, "kind": "newton_step", "key": key, "method": method.rawValue,
            "gradient_norm": try JSONText.encode(gradientNorm), "iterations": String(iterations),
        ]
        try SafeTensors.write(step.map { [SafeTensor(name: "step", dtype: .f64, shape: [$0.count], data: $0)] } ?? [],
                              metadata: metadata, to: out)
        try out.commit()
    }

    /// The step saved at `path` for `key` (P values), or nil when there is no
    /// such file or it was computed from something else.
    package static func read(path: String, key: String, dimension: Int) -> NewtonStep? {
        guard let file = try? SafeTensorsFile(path: path), file.metadata["kind"] == "newton_step",
              file.metadata["key"] == key, let method = file.metadata["method"].flatMap(Method.init(rawValue:)),
              let norm = file.metadata["gradient_norm"].flatMap(Double.init),
              let iterations = file.metadata["iterations"].flatMap(Int.init) else { return nil }
        var step: [Double]? = nil
        if method.isKnown {
            guard let values = try? file.doubles("step"), values.count == dimension else { return nil }
            step = values
        }
        return NewtonStep(step: step, method: method, gradientNorm: norm, iterations: iterations)
    }

    private init(step: [Double]?, method: Method, gradientNorm: Double, iterations: Int) {
        self.step = step
        self.method = method
        self.gradientNorm = gradientNorm
        self.iterations = iterations
    }
}
