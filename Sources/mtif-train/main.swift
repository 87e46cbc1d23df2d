// mtif-train: fit a hard- or soft-sharing multitask model to a training set
// and write its parameters (safetensors, with the architecture in metadata).
import Shared

let usage = """
usage: mtif-train [options] TRAIN.ndjson -o PARAMS.safetensors

Fits L(w) = Σ_k (1/n_k) Σ_{z∈D_k} ℓ_k(w; z) + Ω(w): full-batch L-BFGS until
‖∇L‖ ≤ handover · max(1, ‖∇L(w₀)‖), then trust-region Newton–CG on exact
Hessian-vector products until ‖∇L‖ ≤ tol · max(1, ‖∇L(w₀)‖) or the measured
rounding floor of the gradient, then a Lanczos check of the curvature (λ_min,
λ_max of H), all recorded in the metadata. TRAIN is NDJSON examples ('-' = stdin).

model:
  --sharing hard|soft|vmtl  hard: shared MLP trunk + a linear head per task;
                          soft: a model per task tied to a learned centre;
                          vmtl: hard sharing with Gaussian heads whose priors mix
                          the other tasks' posteriors by learned weights (hard)
  --hidden W[,W…]         hidden widths; hard default 64, soft default none (linear)
  --activation NAME       tanh | relu | softplus | identity (tanh)
  --loss NAME             cross_entropy | squared_error (from the labels)
  --lambda λ              ridge on every parameter (1e-2)
  --coupling c            soft sharing: (c/2)‖θ_k − γ‖² (0.1)
training:
  --optimizer NAME        lbfgs | adam | newton (lbfgs): the first stage; newton
                          runs trust-region Newton from the start
  --polish NAME           newton | none (newton): finish with Newton to --tol
  --tol T                 relative gradient-norm tolerance (1e-10)
  --handover T            relative ‖∇L‖ at which L-BFGS hands over to Newton (1e-4)
  --max-iter N            L-BFGS iterations (1000)
  --newton-iter N         Newton iterations (1000)
  --cg-iter N             CG steps per Newton iteration (1000)
  --curvature-check N     Lanczos steps of the final curvature check; 0 = none (30)
  --memory M              L-BFGS memory (10)
  --epochs N              adam epochs (20)
  --batch-size B          adam minibatch (256)
  --learning-rate η       adam step size (1e-3)
  --seed S                initialisation and minibatch order (0)
  --init PARAMS           warm start from a parameter file (tensors matched by name)
  --import MODEL          no fitting: take the parameters from a safetensors file
                          under our tensor names (e.g. PyTorch's save_file), with
                          the architecture from --sharing/--hidden/--activation/
                          --lambda and tasks and n_k from TRAIN; warns when it is
                          not stationary (then polish it with --init)
  --exclude FILE          example ids to leave out, one per line
  --exclude-weights W     renormalized: the task's other examples get 1/(n_l − m)
                          (training on the smaller set); original: they keep
                          1/n_l (only the left-out terms go) (renormalized)
  --tasks A,B,…           train on these tasks only
vmtl (Adam on Σ_k [mean E_q ℓ + (β/n_k) KL(q_k ‖ p_k)] + (λ/2)‖(γ, μ)‖², fresh noise per step):
  --beta β                KL weight (1)
  --samples S             reparameterised samples per step (4)
  --temperature T0[,T1]   Gumbel-softmax temperature, annealed T0 → T1 (1,0.5)
  --steps N               Adam steps (2000); --batch-size (all rows) and
                          --learning-rate (0.01) apply, --init sets γ and the means
  -o, --output FILE       parameter file, written atomically ('-' = stdout)
  -q, --quiet             no progress on stderr
  -h, --help              this text

examples:
  mtif-train --sharing soft --lambda 1e-2 --coupling 0.1 train.ndjson -o params.safetensors
  mtif-train --import model.safetensors --hidden 8 --lambda 1e-2 train.ndjson -o params.safetensors
"""

runTool("mtif-train") {
    let args = try Arguments(
        tool: "mtif-train", Array(CommandLine.arguments.dropFirst()),
        options: [
            "--sharing", "--hidden", "--activation", "--loss", "--lambda", "--coupling", "--optimizer", "--polish",
            "--tol", "--handover", "--max-iter", "--newton-iter", "--cg-iter", "--curvature-check", "--memory", "--epochs", "--batch-size", "--learning-rate", "--seed", "--init", "--import",
            "--exclude", "--exclude-weights", "--tasks", "--output", "--beta", "--samples", "--temperature", "--steps",
        ], flags: [])
    if args.help { return try printUsage(usage) }
    try runTraining(try TrainOptions(parsing: args), log: Log(tool: "mtif-train", quiet: args.quiet))
}
