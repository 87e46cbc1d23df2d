#!/usr/bin/env bash
# Runs the libFuzzer target over one parser for a while:
#
#     scripts/fuzz.sh FORMAT [SECONDS] [extra libFuzzer flags…]     FORMAT: ndjson | csv | safetensors
#
# Builds Fuzz/ (its own package: -sanitize=fuzzer,address, bounds checks on),
# seeds a working corpus in Fuzz/.corpus/FORMAT from the committed test corpus,
# and writes crashing inputs to Fuzz/findings/. A finding is fixed in
# Sources/Shared and becomes a case in Tests/CLITests/Corpus (see its README).
set -euo pipefail
format=${1:?usage: scripts/fuzz.sh ndjson|csv|safetensors [SECONDS] [libFuzzer flags…]}
seconds=${2:-300}
shift $(( $# >= 2 ? 2 : 1 ))
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=$root/Tests/CLITests/Corpus
case $format in
  ndjson)      seeds=("$corpus"/good/*.ndjson "$corpus"/ndjson/* "$corpus"/records/*) ;;
  csv)         seeds=("$corpus"/good/*.csv "$corpus"/csv/*) ;;
  safetensors) seeds=("$corpus"/good/*.safetensors "$corpus"/safetensors/*) ;;
  *) echo "fuzz.sh: unknown format '$format' (ndjson, csv, safetensors)" >&2; exit 2 ;;
esac
(cd "$root/Fuzz" && swift build -c release -Xswiftc -sanitize=fuzzer,address >&2)
work=$root/Fuzz/.corpus/$format
mkdir -p "$work" "$root/Fuzz/findings"
cp -n "${seeds[@]}" "$work"/ 2>/dev/null || true
# -max_len bounds an input to what a reader's edge cases need; the memory
# limits turn a runaway allocation (a size taken on trust) into a finding.
MTIF_FUZZ_FORMAT=$format "$root/Fuzz/.build/release/mtif-fuzz" \
  -max_total_time="$seconds" -max_len=8192 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
  -dict="$root/Fuzz/$format.dict" -print_final_stats=1 \
  -artifact_prefix="$root/Fuzz/findings/$format-" "$@" "$work"
