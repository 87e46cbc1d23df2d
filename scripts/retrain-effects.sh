#!/usr/bin/env bash
# Brute-force ground truth for `make validate` and `make figure`: retrain the
# model without one example (leave-one-out), without one task
# (leave-one-task-out), without a random half of every task (linear
# datamodeling score), or without a random fraction of one task (groups: the
# step between one example and the whole task), warm-started from the full model, and record the actual
# effect on every target (with its error bar: mtif-eval --baseline --train).
# All arithmetic happens in the tools; this script only schedules retrainings,
# in parallel, and concatenates their outputs in a fixed order.
#
# usage: retrain-effects.sh [options] BIN RUN LOO LDS SEED JOBS -- TRAINFLAGS…
#   --ids FILE              leave out each of these ids (one per line) instead of LOO sampled ones
#   --no-loto               no leave-one-task-out retrainings
#   --groups F              also, for every task, one retraining without a seeded
#                           fraction F of that task's examples (weights as for loo)
#   --eval DATA             measure the effects on DATA (RUN/val.ndjson)
#   --per-example           one effect per example of DATA (single test points), not per task
#   --exclude-weights W     renormalized (literal retrain) | original (fixed weights), for loo and lds
#   --work DIR              where the retrainings go (RUN/retrain)
#   --points FILE --points-out OUT
#                           also the effect of every leave-one-out retrain on each
#                           example of FILE (single test points) into OUT, reusing
#                           the retrain's Newton step (mtif-eval --step)
set -euo pipefail
ids='' loto=1 groups='' eval_data='' per_example='' weights=renormalized work='' points='' points_out=''
while [ $# -gt 0 ]; do
  case $1 in
    --ids) ids=$2; shift 2 ;;
    --no-loto) loto=''; shift ;;
    --groups) groups=$2; shift 2 ;;
    --eval) eval_data=$2; shift 2 ;;
    --per-example) per_example=--per-example; shift ;;
    --exclude-weights) weights=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --points) points=$2; shift 2 ;;
    --points-out) points_out=$2; shift 2 ;;
    --*) echo "retrain-effects.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if { [ -n "$points" ] && [ -z "$points_out" ]; } || { [ -z "$points" ] && [ -n "$points_out" ]; }; then
  echo "retrain-effects.sh: --points and --points-out go together" >&2; exit 2
fi
bin=$1 run=$2 loo=$3 lds=$4 seed=$5 jobs=$6
shift 6; [ "${1:-}" = "--" ] && shift
work=${work:-$run/retrain}
eval_data=${eval_data:-$run/val.ndjson}
rm -rf "$work"; mkdir -p "$work"

# One job per line: "loo ID", "loto TASK", "group TASK", "lds J".
{
  if [ -n "$ids" ]; then
    sed '/^[[:space:]]*$/d; s/^/loo /' "$ids"
  elif [ "$loo" -gt 0 ]; then
    "$bin/mtif-data" sample -q --count "$loo" --seed "$seed" --ids "$run/train.ndjson" | sed 's/^/loo /'
  fi
  if [ -n "$loto" ]; then
    "$bin/mtif-data" stats "$run/train.ndjson" | sed -n 's/^{"type":"task","task":"\([^"]*\)".*/loto \1/p'
  fi
  if [ -n "$groups" ]; then
    "$bin/mtif-data" stats "$run/train.ndjson" | sed -n 's/^{"type":"task","task":"\([^"]*\)".*/group \1/p'
  fi
  for ((j = 0; j < lds; j++)); do echo "lds $j"; done
} > "$work/jobs"

retrain() {
  local kind=$1 what=$2
  local out=$work/$kind-$(printf '%s' "$what" | tr -c 'A-Za-z0-9_.-' '_')
  case $kind in
    loo)  printf '%s\n' "$what" > "$out.ids"; set -- --exclude "$out.ids" --exclude-weights "$weights" ;;
    loto) set -- --tasks "$("$bin/mtif-data" stats "$run/train.ndjson" \
            | sed -n 's/^{"type":"task","task":"\([^"]*\)".*/\1/p' | grep -vxF -- "$what" | paste -sd,)" ;;
    group) "$bin/mtif-data" sample -q --fraction "$groups" --tasks "$what" --ids --seed "$seed" \
            "$run/train.ndjson" > "$out.ids"; set -- --exclude "$out.ids" --exclude-weights "$weights" ;;
    lds)  "$bin/mtif-data" sample -q --fraction 0.5 --complement --ids --seed "$((seed * 1000 + what + 1))" \
            "$run/train.ndjson" > "$out.ids"; set -- --exclude "$out.ids" --exclude-weights "$weights" ;;
  esac
  "$bin/mtif-train" -q "${trainflags[@]}" --init "$run/params.safetensors" "$@" "$run/train.ndjson" -o "$out.safetensors"
  "$bin/mtif-eval" -q --baseline "$run/params.safetensors" --train "$run/train.ndjson" $per_example \
    --baseline-step "$work/full-step.safetensors" ${points:+--step "$out.step.safetensors"} \
    "$out.safetensors" "$eval_data" -o "$out.ndjson"
  if [ -n "$points" ] && [ "$kind" = loo ]; then
    "$bin/mtif-eval" -q --baseline "$run/params.safetensors" --train "$run/train.ndjson" --per-example \
      --baseline-step "$work/full-step.safetensors" --step "$out.step.safetensors" \
      "$out.safetensors" "$points" -o "$out.points.ndjson"
    rm -f "$out.step.safetensors"
  fi
}
trainflags=("$@")
export -f retrain; export bin run work eval_data per_example weights points groups seed
export TRAINFLAGS="${trainflags[*]}"
count=$(wc -l < "$work/jobs")
echo "retrain-effects: $count retrainings ($(grep -c '^loo ' "$work/jobs" || true) leave-one-out, $(grep -c '^loto ' "$work/jobs" || true) leave-one-task-out, $(grep -c '^group ' "$work/jobs" || true) task fractions${groups:+ of $groups}, $lds subsets; $weights weights) on $jobs cores" >&2
# The first job alone: it writes FULL's Newton step, which the others read
# (parallel first writers would race on the same file).
head -n 1 "$work/jobs" | tr '\n' '\0' | xargs -0 -I{} bash -c 'trainflags=($TRAINFLAGS); retrain {}'
tail -n +2 "$work/jobs" | tr '\n' '\0' | xargs -0 -r -P "$jobs" -I{} bash -c 'trainflags=($TRAINFLAGS); retrain {}'
while read -r kind what; do
  cat "$work/$kind-$(printf '%s' "$what" | tr -c 'A-Za-z0-9_.-' '_').ndjson"
done < "$work/jobs"
if [ -n "$points" ]; then
  while read -r kind what; do
    if [ "$kind" = loo ]; then cat "$work/$kind-$(printf '%s' "$what" | tr -c 'A-Za-z0-9_.-' '_').points.ndjson"; fi
  done < "$work/jobs" > "$points_out.tmp"
  mv "$points_out.tmp" "$points_out"
fi
