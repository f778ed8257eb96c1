#!/usr/bin/env bash
# Runs the JMH suite once and keeps what a results file needs: JMH's JSON (-rf json), the console log, and the
# machine's load average sampled every 5 s while it ran (the machine may be shared; the load is part of the result).
#
#   benchmarks/run-jmh.sh OUT_DIR NAME [JMH arguments...]
#   OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4 benchmarks/run-jmh.sh out passive ForwardBenchmark -p cell=LSTM
#
# writes OUT_DIR/NAME.json, OUT_DIR/NAME.log and OUT_DIR/NAME.load ("epoch-seconds load1 load5 load15"), and prints
# the wall time and the load range. Environment variables are passed through to JMH's forks unchanged.
set -euo pipefail
out=$1 name=$2
shift 2
mkdir -p "$out"
jar="$(dirname "$0")/target/benchmarks.jar"
( while true; do echo "$(date +%s) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 5; done ) > "$out/$name.load" &
sampler=$!
trap 'kill $sampler 2>/dev/null' EXIT
start=$(date +%s)
echo "# $(date -u +%FT%TZ) OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset} OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-unset}" \
    "java -jar $jar $* -rf json -rff $out/$name.json" > "$out/$name.log"
java -jar "$jar" "$@" -rf json -rff "$out/$name.json" >> "$out/$name.log" 2>&1
end=$(date +%s)
kill $sampler 2>/dev/null || true
awk -v name="$name" -v wall=$((end - start)) '{ n++; s += $2; if (n == 1 || $2 < lo) lo = $2; if ($2 > hi) hi = $2 }
    END { printf "%s: %d s wall; load1 min %.2f mean %.2f max %.2f over %d samples\n", name, wall, lo, s / n, hi, n }' \
    "$out/$name.load" | tee -a "$out/$name.log"
