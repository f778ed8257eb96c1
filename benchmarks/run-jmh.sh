#!/usr/bin/env bash
# Runs the JMH suite once and keeps what a results file needs: JMH's JSON (-rf json), the console log, and the
# machine's load sampled every 5 s while it ran (the machine may be shared; the load is part of the result): the load
# average, and the CPU (in cores) used by JMH and its forks vs by every other process (load-sampler.py).
#
#   benchmarks/run-jmh.sh OUT_DIR NAME [JMH arguments...]
#   OMP_WAIT_POLICY=ACTIVE benchmarks/run-jmh.sh out active ForwardBenchmark -p cell=LSTM   # exported values win
#
# writes OUT_DIR/NAME.json, OUT_DIR/NAME.log and OUT_DIR/NAME.load ("epoch load1 busy_cores ours_cores
# others_cores"), and prints the wall time and the load. Environment variables reach JMH's forks unchanged.
# JAR=benchmarks/target/benchmarks-onednn-avx2.jar runs another build of the suite.
set -euo pipefail
out=$1 name=$2
shift 2
mkdir -p "$out"
jar="${JAR:-$(dirname "$0")/target/benchmarks.jar}"
start=$(date +%s)
echo "# $(date -u +%FT%TZ) OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset} OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-unset}" \
    "java -jar $jar $* -rf json -rff $out/$name.json" > "$out/$name.log"
java -jar "$jar" "$@" -rf json -rff "$out/$name.json" >> "$out/$name.log" 2>&1 &
jmh=$!
python3 "$(dirname "$0")/load-sampler.py" $jmh 5 > "$out/$name.load" &
sampler=$!
status=0
wait $jmh || status=$?
wait $sampler || true
end=$(date +%s)
awk -v name="$name" -v wall=$((end - start)) '{ n++; l += $2; b += $3; o += $4; x += $5; if ($5 > hi) hi = $5 }
    END { if (n == 0) n = 1; printf "%s: %d s wall; mean load1 %.2f; CPU cores busy %.2f = JMH %.2f + others %.2f " \
          "(others max %.2f over %d samples of 5 s)\n", name, wall, l / n, b / n, o / n, x / n, hi, n }' \
    "$out/$name.load" | tee -a "$out/$name.log"
exit $status
