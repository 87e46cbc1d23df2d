#!/usr/bin/env bash
# Inputs of `make figure` (the paper's Figure 1): which training examples are
# left out — every training example of one task, by default the first — and
# which single test points are scored — POINTS validation examples drawn
# (seeded) from that task (the within-task panel) and POINTS from the other
# tasks pooled (the between-task panel). The tools draw the samples; this
# script only names the tasks and writes the files.
#
# usage: figure-points.sh BIN RUN DIR POINTS SEED [TASK]
#   writes DIR/test.ndjson (within-task points, then between-task points),
#   DIR/removed.ids (the task's training ids) and DIR/task (its name)
set -euo pipefail
bin=$1 run=$2 dir=$3 points=$4 seed=$5 task=${6:-}
mkdir -p "$dir"
tasks() { "$bin/mtif-data" stats "$1" | sed -n 's/^{"type":"task","task":"\([^"]*\)".*/\1/p'; }
all=$(tasks "$run/train.ndjson")
task=${task:-$(head -n 1 <<< "$all")}
grep -qxF -- "$task" <<< "$all" || { echo "figure-points: no task \"$task\" in $run/train.ndjson" >&2; exit 2; }
others=$(grep -vxF -- "$task" <<< "$all" | paste -sd, || true)
[ -n "$others" ] || { echo "figure-points: $run/train.ndjson has one task only; the between-task panel needs another" >&2; exit 2; }
{
  "$bin/mtif-data" sample -q --tasks "$task" --count "$points" --seed "$seed" "$run/val.ndjson"
  "$bin/mtif-data" sample -q --tasks "$others" --count "$points" --seed "$seed" "$run/val.ndjson"
} > "$dir/test.ndjson.tmp"
"$bin/mtif-data" sample -q --tasks "$task" --count 0 --complement --ids "$run/train.ndjson" > "$dir/removed.ids.tmp"
mv "$dir/test.ndjson.tmp" "$dir/test.ndjson"
mv "$dir/removed.ids.tmp" "$dir/removed.ids"
echo "$task" > "$dir/task"
echo "figure-points: $points test point(s) of $task and $points of the other tasks; $(wc -l < "$dir/removed.ids") training examples of $task to leave out" >&2
