#!/usr/bin/env bash
# Runs one libFuzzer target for ctest: `run_fuzz.sh <binary> <corpus> <work> <seconds>`.
# seconds > 0: fuzz that long, starting from the committed corpus (read only: new inputs
# go to <work>/corpus, crashes to <work>/); 0: run each committed input once (regressions).
set -euo pipefail
bin=$1 corpus=$2 work=$3 seconds=$4
mkdir -p "$work/corpus"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ "$seconds" -eq 0 ]; then
  exec "$bin" -rss_limit_mb=2048 -timeout=20 "$corpus"/*
fi
exec "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$corpus"
