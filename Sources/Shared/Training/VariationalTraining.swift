import Foundation

/// Settings of `mtif-train --sharing vmtl` (see `VariationalModel`).
package struct VariationalOptions: Sendable {
    /// β: the KL weight; task k's KL enters as (β/n_k) KL_k.
    package var beta = 1.0
    /// S: reparameterised samples per step.
    package var samples = 4
    /// Gumbel-softmax temperature, annealed geometrically from the first to the second over the steps.
    package var temperatures = (start: 1.0, end: 0.5)
    /// Adam steps.
    package var steps = 2000
    package var learningRate = 1e-2
    /// Rows per step; nil: the whole training set.
    package var batchSize: Int? = nil
    /// ρ of every head entry at the start: σ = softplus(−3) ≈ 0.049 (the reference's).
    package var initialRho = -3.0
    package var seed: UInt64 = 0

    package init() {}

    /// τ at step t of T: start · (end/start)^(t/(T−1)).
    package func temperature(step t: Int) -> Double {
        guard steps > 1 else { return temperatures.end }
        return temperatures.start * pow(temperatures.end / temperatures.start, Double(t) / Double(steps - 1))
    }
}

/// What a VMTL run learned beside the parameters, stored as the `vmtl`
/// metadata of the parameter file (JSON, snake_case keys). The tensors of the
/// file are the posterior means (a hard-sharing model every tool reads); the
/// posterior scales and the mixture logits live here.
package struct VariationalReport: Codable, Equatable, Sendable {
    /// Task names, the order of every per-task array.
    package var tasks: [String]
    /// (K, K) alpha[k][l] = α_{k←l} = softmax(a_k)_l: how much task k's prior draws on task l; 0 on the diagonal.
    package var alpha: [[Double]]
    /// (K, K − 1) the mixture logits a_k over the other tasks in task order.
    package var logits: [[Double]]
    /// (K, E) ρ of each head (σ = softplus(ρ)), laid out like head.<task>.weight then head.<task>.bias.
    package var rho: [[Double]]
    /// (K) mean posterior standard deviation of each head.
    package var meanSigma: [Double]
    /// (K) KL(q_k ‖ p_k) at the end, with the final temperature and fixed evaluation noise.
    package var kl: [Double]
    /// The expected-loss term at the end (same noise).
    package var expectedLoss: Double
    package var beta: Double
    package var samples: Int
    package var steps: Int
    package var temperatureStart: Double
    package var temperatureEnd: Double
    package var learningRate: Double
    package var batchSize: Int
    package var prior: String
}

/// Fits a VMTL model by Adam on J (see `VariationalModel`) with fresh
/// reparameterisation and Gumbel noise every step, the temperature annealed
/// from `temperatures.start` to `.end`, from the hard-sharing parameters
/// `start` (γ, μ; ρ and logits start at `initialRho` and 0). Minibatches
/// (when `batchSize` < N) are drawn by epochs of a seeded shuffle with
/// weights × N/B, as `Adam` does; the KL weights are always β/n_k.
///
/// The report's gradient norm is that of J at the result with the final
/// temperature and one fixed draw of noise: a stochastic objective has no
/// stationary point to stop at, so `converged` is false and `stop` "steps".
package func fitVariational(
    _ model: VariationalModel, _ batch: TaskBatch, from start: [Double], options: VariationalOptions, log: Log
) throws -> (parameters: [Double], report: TrainingReport, variational: VariationalReport) {
    guard options.beta >= 0, options.beta.isFinite else { throw MTIFError.usage("--beta must be ≥ 0") }
    guard options.temperatures.start > 0, options.temperatures.end > 0,
          options.temperatures.start.isFinite, options.temperatures.end.isFinite else {
        throw MTIFError.usage("--temperature: temperatures must be positive")
    }
    let n = batch.count, k = model.taskCount, c = model.architecture.outputs[0]
    let counts = batch.taskRanges.map(\.count)
    let klWeights = counts.map { options.beta / Double(max(1, $0)) }
    var u = model.initial(fromMeans: start, rho: options.initialRho)
    let p = u.count
    var m = [Double](repeating: 0, count: p), v = [Double](repeating: 0, count: p), g: [Double] = []
    let (beta1, beta2, epsilon) = (0.9, 0.999, 1e-8)
    var rng = SplitMix64(seed: options.seed, stream: 0x5117)
    var order = Array(0 ..< n)
    var position = n
    let size = max(1, min(options.batchSize ?? n, n))
    var last = Stopwatch()
    var firstGradientNorm = 0.0
    for step in 0 ..< options.steps {
        var stepBatch = batch
        if size < n {
            if position + size > n { rng.shuffle(&order); position = 0 }
            let rows = Array(order[position ..< position + size])
            position += size
            let scale = Double(n) / Double(size)
            stepBatch = batch.subset(rows, weights: rows.map { batch.weights[$0] * scale })
        }
        let noise = VariationalNoise(samples: options.samples, rows: stepBatch.count, outputs: c, tasks: k, rng: &rng)
        let tau = options.temperature(step: step)
        let terms = model.objective(u, stepBatch, noise: noise, temperature: tau, klWeights: klWeights, prior: u, gradient: &g)
        try LBFGS.checkFinite(terms.value, g)
        if step == 0 { firstGradientNorm = euclideanNorm(g) }
        let correction1 = 1 - pow(beta1, Double(step + 1)), correction2 = 1 - pow(beta2, Double(step + 1))
        for i in 0 ..< p {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
            u[i] -= options.learningRate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + epsilon)
        }
        if last.seconds >= 1 || step + 1 == options.steps {
            log.info("vmtl step \(step + 1) of \(options.steps): J = \(terms.value), E[loss] = \(terms.expectedLoss), Σ β_k KL_k = \(terms.value - terms.expectedLoss), τ = \(short(tau))")
            last = Stopwatch()
        }
    }
    // Diagnostics at the result: the full batch, the final temperature, one fixed draw.
    var evaluationRng = SplitMix64(seed: options.seed, stream: 0xE7A1)
    let noise = VariationalNoise(samples: options.samples, rows: n, outputs: c, tasks: k, rng: &evaluationRng)
    let terms = model.objective(u, batch, noise: noise, temperature: options.temperatures.end, klWeights: klWeights, prior: u, gradient: &g)
    try LBFGS.checkFinite(terms.value, g)
    let e = model.headSize
    let rho = (0 ..< k).map { Array(u[model.rhoStart + $0 * e ..< model.rhoStart + ($0 + 1) * e]) }
    let alpha = model.mixtureWeights(u)
    let variational = VariationalReport(
        tasks: model.architecture.tasks, alpha: alpha,
        logits: (0 ..< k).map { Array(u[model.logitStart + $0 * (k - 1) ..< model.logitStart + ($0 + 1) * (k - 1)]) },
        rho: rho, meanSigma: rho.map { row in row.reduce(0) { $0 + softplus($1) } / Double(row.count) },
        kl: terms.kl, expectedLoss: terms.expectedLoss, beta: options.beta, samples: options.samples,
        steps: options.steps, temperatureStart: options.temperatures.start, temperatureEnd: options.temperatures.end,
        learningRate: options.learningRate, batchSize: size,
        prior: "moment-matched Gaussian of the Gumbel-softmax mixture of the other tasks' detached posteriors")
    let report = TrainingReport(
        optimizer: "vmtl_adam", iterations: options.steps, evaluations: options.steps + 1, objective: terms.value,
        gradientNorm: euclideanNorm(g), initialGradientNorm: firstGradientNorm, tolerance: 0, converged: false, stop: "steps")
    return (model.means(u), report, variational)
}

extension VariationalOptions {
    /// The vmtl flags of `mtif-train` (`--beta`, `--samples`, `--temperature`,
    /// `--steps`, and `--batch-size`, `--learning-rate`, `--seed`): nil unless
    /// `enabled`, when giving one of the vmtl-only flags is a usage error.
    package init?(_ args: Arguments, enabled: Bool) throws {
        let own = ["--beta", "--samples", "--temperature", "--steps"]
        guard enabled else {
            if let name = own.first(where: { args.string($0) != nil }) {
                throw MTIFError.usage("\(name) applies to --sharing vmtl only")
            }
            return nil
        }
        self.init()
        beta = try args.double("--beta", default: beta, atLeast: 0)
        samples = try args.int("--samples", default: samples, atLeast: 1)
        steps = try args.int("--steps", default: steps, atLeast: 1)
        learningRate = try args.double("--learning-rate", default: learningRate, atLeast: 0, strictly: true)
        batchSize = try args.int("--batch-size").map {
            guard $0 >= 1 else { throw MTIFError.usage("--batch-size must be at least 1") }
            return $0
        }
        seed = try args.uint64("--seed", default: 0)
        if let text = args.list("--temperature") {
            let values = try text.map {
                guard let t = Double($0), t > 0, t.isFinite else {
                    throw MTIFError.usage("--temperature: expected positive numbers T0[,T1], found '\($0)'")
                }
                return t
            }
            guard (1 ... 2).contains(values.count) else { throw MTIFError.usage("--temperature takes T0 or T0,T1") }
            temperatures = (values[0], values.count == 2 ? values[1] : values[0])
        }
        if let name = ["--epochs", "--optimizer", "--polish", "--tol", "--handover", "--max-iter", "--newton-iter", "--cg-iter",
                           "--curvature-check", "--memory", "--coupling"].first(where: { args.string($0) != nil }) {
            throw MTIFError.usage("\(name) does not apply to --sharing vmtl", hint: "vmtl trains by --steps of Adam")
        }
    }
}
