#!/usr/bin/env bash
# Brute-force ground truth for `make validate`: retrain the model without one
# example (leave-one-out), without one task (leave-one-task-out), or without a
# random half of every task (linear datamodeling score), warm-started from the
# full model, and record the actual effect on every target's validation loss.
# All arithmetic happens in the tools; this script only schedules retrainings,
# in parallel, and concatenates their outputs in a fixed order.
#
# usage: retrain-effects.sh BIN RUN LOO LDS SEED JOBS -- TRAINFLAGS…
set -euo pipefail
bin=$1 run=$2 loo=$3 lds=$4 seed=$5 jobs=$6
shift 6; [ "${1:-}" = "--" ] && shift
work=$run/retrain
rm -rf "$work"; mkdir -p "$work"

# One job per line: "loo ID", "loto TASK", "lds J".
{
  "$bin/mtif-data" sample -q --count "$loo" --seed "$seed" --ids "$run/train.ndjson" | sed 's/^/loo /'
  "$bin/mtif-data" stats "$run/train.ndjson" | sed -n 's/^{"type":"task","task":"\([^"]*\)".*/loto \1/p'
  for ((j = 0; j < lds; j++)); do echo "lds $j"; done
} > "$work/jobs"

retrain() {
  local kind=$1 what=$2
  local out=$work/$kind-$(printf '%s' "$what" | tr -c 'A-Za-z0-9_.-' '_')
  case $kind in
    loo)  printf '%s\n' "$what" > "$out.ids"; set -- --exclude "$out.ids" ;;
    loto) set -- --tasks "$("$bin/mtif-data" stats "$run/train.ndjson" \
            | sed -n 's/^{"type":"task","task":"\([^"]*\)".*/\1/p' | grep -vxF -- "$what" | paste -sd,)" ;;
    lds)  "$bin/mtif-data" sample -q --fraction 0.5 --complement --ids --seed "$((seed * 1000 + what + 1))" \
            "$run/train.ndjson" > "$out.ids"; set -- --exclude "$out.ids" ;;
  esac
  "$bin/mtif-train" -q "${trainflags[@]}" --init "$run/params.safetensors" "$@" "$run/train.ndjson" -o "$out.safetensors"
  "$bin/mtif-eval" --baseline "$run/params.safetensors" "$out.safetensors" "$run/val.ndjson" -o "$out.ndjson"
}
trainflags=("$@")
export -f retrain; export bin run work
export TRAINFLAGS="${trainflags[*]}"
count=$(wc -l < "$work/jobs")
echo "retrain-effects: $count retrainings ($loo leave-one-out, leave-one-task-out, $lds subsets) on $jobs cores" >&2
tr '\n' '\0' < "$work/jobs" | xargs -0 -P "$jobs" -I{} bash -c 'trainflags=($TRAINFLAGS); retrain {}'
while read -r kind what; do
  cat "$work/$kind-$(printf '%s' "$what" | tr -c 'A-Za-z0-9_.-' '_').ndjson"
done < "$work/jobs"
