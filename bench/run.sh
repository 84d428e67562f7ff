#!/usr/bin/env bash
# Usage: bench/run.sh [--quick] [BenchMain run options]
#
# Builds bench/target/benchmarks.jar, then runs the JMH benchmarks family by family: first this
# project's backends and VectorBLAS, then the OpenBLAS baseline of the same family in its own JVM
# with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (so that OpenBLAS picks its kernels for this
# CPU; nothing else runs without them). The machine's FMA peak and STREAM bandwidth are measured
# first and again last; runs that other processes disturbed get a second chance within a time
# budget (180 s quick, 360 s full, shared with waiting for a quiet machine). Writes
# bench/results/<stamp>_<host>_<backend>.json (JMH's JSON), <stamp>_<host>_meta-<group>.json
# (foreign CPU per run, OpenBLAS core, environment) and bench/results/latest.json, prints the
# table, and keeps the whole output in bench/target/run-<stamp>.log.
#
#   --quick            short profile (smaller sizes, 1 fork, 2x0.5 s warm-up, 4x0.5 s measured): about 5 minutes
#   (default)          full profile (all sizes, 2 forks, 1x1 s warm-up, 3x1 s measured): about 15-20 minutes
#   --repair STAMP     run again, with a fresh budget, the runs of an earlier run (same profile) that
#                      other processes disturbed, then rebuild latest.json from all of that stamp's runs
#   other options go to every "BenchMain run", e.g. --only 'n=1001' --max-foreign 10 --retries 1
set -euo pipefail
bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$bench")
profile=full
repair=
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) profile=quick ;;
    --repair) repair=${2:?--repair needs the stamp of an earlier run, e.g. 2026-11-25T22-41}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) extra+=("$1") ;;
  esac
  shift
done

# shellcheck source=../.mvn/find-jdk.sh
. "$root/.mvn/find-jdk.sh"
start=$(date +%s)
(cd "$root" && ./mvnw -q -B -DskipTests -pl bench -am package)

jar="$bench/target/benchmarks.jar"
java=("$JAVA_HOME/bin/java" "@$bench/target/jvm.args" --sun-misc-unsafe-memory-access=allow -jar "$jar")
stamp=${repair:-$(date +%Y-%m-%dT%H-%M)}
results="$bench/results"
mkdir -p "$results"
log="$bench/target/run-$stamp${repair:+-repair-$(date +%H-%M)}.log"
# Seconds the runs may spend, in total, waiting for other processes to quiet down or re-running a disturbed run.
if [ "$profile" = quick ]; then wait=180; else wait=360; fi
budget="$bench/target/wait-budget-$stamp${repair:+-repair}"
echo "$wait" > "$budget"
common=(--profile "$profile" --stamp "$stamp" --results "$results" --wait-budget "$wait" --wait-budget-file "$budget")

ours() {
  "${java[@]}" run --group main --impls machine,reference,cpu,gpu,vectorblas "${common[@]}" "$@" ${extra[@]+"${extra[@]}"}
}
openblas() {
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
    "${java[@]}" run --group openblas --impls openblas "${common[@]}" "$@" ${extra[@]+"${extra[@]}"}
}

{
  echo "bench/run.sh --$profile${repair:+ --repair $repair}, $stamp on $(hostname), JDK $JAVA_HOME"
  echo "environment: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-(unset)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-(unset)}" \
       "(both unset for the OpenBLAS runs only)"
  if [ -z "$repair" ]; then
    ours --family machine
    for family in gemm gram featureMap sparse gd fill; do
      ours --family "$family"
      openblas --family "$family"
    done
    ours --family machine
  fi
  # A second chance, within what is left of the budget, for runs that other processes disturbed;
  # the report keeps the least disturbed run of each.
  ours --disturbed-only --retries 0
  openblas --disturbed-only --retries 0
  echo
  "${java[@]}" report --stamp "$stamp" --results "$results"
  echo "bench/run.sh --$profile${repair:+ --repair $repair} took $(( $(date +%s) - start )) s (build included)"
} 2>&1 | grep --line-buffered -v '^WARNING: Using incubator modules' | tee "$log"
