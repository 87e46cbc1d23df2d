// mtif-relate: task-level relatedness by one method (MTIF, leave-one-task-out,
// gradient cosine, TAG, VMTL) as the K×K matrix records, and the comparison
// of the methods against leave-one-task-out retraining.
import Shared

let usage = """
usage: mtif-relate --method NAME [options] PARAMS.safetensors TRAIN.ndjson VAL.ndjson
       mtif-relate compare [options] LOTO.ndjson MATRIX.ndjson…

Writes one method's task matrix as the records of mtif-influence --matrix plus
the method and its own number: {"type":"relatedness","source":l,"target":k,
"value":…,"n":n_l,"method":…,"raw":…}, after a {"type":"meta"} line and before
a {"type":"cost"} line (wall seconds, retrainings, iterations, gradient
evaluations, HVPs). value > 0: source task l hurts target task k, the sign of
R(l→k) ≈ V_k(full) − V_k(without l); measures whose positive number means
"helps" are flipped. PARAMS is from mtif-train, TRAIN its training set.

methods:
  mtif    R(l→k) from mtif-influence --matrix FILE; value = raw
  loto    V_k(PARAMS) − V_k(retrained without l) on VAL, K retrainings warm-
          started from PARAMS (the ground truth); value = raw, no diagonal
  cosine  cos(∇_γ L_l, ∇_γ L_k), task mean training gradients at PARAMS; −raw
  tag     Z_{l→k} = 1 − L_k(w − η∇_γ L_l)/L_k(w) averaged over a re-run of the
          training (L-BFGS from PARAMS' seed); value = −raw
  vmtl    α_{k←l} of a model of mtif-train --sharing vmtl (PARAMS); 1/(K−1) − raw

  --method NAME           mtif | loto | cosine | tag | vmtl (required)
  --matrix FILE           mtif: the matrix of mtif-influence --matrix or --by-task
  --ihvp FILE             mtif: its inverse-HVP file, for the solver's HVPs and time
  --tol T                 loto, tag: relative gradient tolerance (PARAMS' own)
  --max-iter N            loto, tag: L-BFGS iterations per training (1000)
  --every N               tag: log Z every N iterations (10)
  --lookahead-rate η      tag: the lookahead step on γ (0.1)
  --seconds S             the cost's wall time, when measured elsewhere (vmtl)

compare: each MATRIX against LOTO's off-diagonal cells, Pearson and Spearman per
target and pooled ({"type":"relate_agreement"}); with --truth, whether the
planted unrelated tasks rank as more harmful sources than related ones (AUC,
{"type":"relate_planted"}); each method's cost ({"type":"relate_cost"}).
  --truth TRAIN           training examples marked "unrelated" (mtif-data synth)
  --svg FILE              every matrix as heatmaps side by side
  --markdown FILE         a readable report of the tables
  --accuracy FILE         mtif-eval records tagged model=NAME, a table in the report
  --title TEXT            title of the picture and the report

  -o, --output FILE       write there (atomically) instead of stdout
  -q, --quiet             no progress on stderr
  -h, --help              this text

examples:
  mtif-relate --method cosine params.safetensors train.ndjson val.ndjson > cosine.ndjson
  mtif-relate --method loto params.safetensors train.ndjson val.ndjson -o loto.ndjson
  mtif-relate --method mtif --matrix matrix.ndjson --ihvp ihvp.safetensors params.safetensors train.ndjson val.ndjson > mtif.ndjson
  mtif-relate compare --truth train.ndjson --svg heatmaps.svg loto.ndjson mtif.ndjson cosine.ndjson
"""

runTool("mtif-relate") {
    let args = try Arguments(
        tool: "mtif-relate", Array(CommandLine.arguments.dropFirst()),
        options: ["--method", "--matrix", "--ihvp", "--tol", "--max-iter", "--every", "--lookahead-rate", "--seconds",
                  "--truth", "--svg", "--markdown", "--accuracy", "--title", "--output"],
        flags: [])
    if args.help { return try printUsage(usage) }
    try runRelateTool(args)
}
