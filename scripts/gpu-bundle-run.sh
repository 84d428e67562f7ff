#!/usr/bin/env bash
# gpu-bundle/run.sh, copied there by scripts/gpu-bundle.sh. On a GPU machine with no Java and no
# network (CUDA 13 driver, cuBLAS 13 inside a Python wheel): finds libcublas.so.13, runs the GPU
# conformance suite with the JUnit console launcher, then prints the timing table. Results are
# also written under $OUT when the device tool sets it (junit XML, the table).
#
#   gpu-bundle/run.sh            # SCALEKERNEL_CUBLAS=/path/to/libcublas.so.13 overrides the search
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
results=${OUT:-$here/results}
mkdir -p "$results" "$here/tmp"

cublas=${SCALEKERNEL_CUBLAS:-}
if [ -z "$cublas" ]; then
  # Python wheels first (pip's CUDA 13 layout is site-packages/nvidia/cu13/lib), then anywhere.
  cublas=$(find / -xdev \( -path /proc -o -path /sys \) -prune -o -name libcublas.so.13 -path '*/nvidia/cu13/lib/*' -print 2>/dev/null | head -1)
  [ -n "$cublas" ] || cublas=$(find / -xdev \( -path /proc -o -path /sys \) -prune -o -name libcublas.so.13 -print 2>/dev/null | head -1)
fi
if [ -z "$cublas" ] || [ ! -f "$cublas" ]; then
  echo "run.sh: libcublas.so.13 not found (looked for nvidia/cu13/lib in Python wheels, then everywhere);" \
       "set SCALEKERNEL_CUBLAS=/path/to/libcublas.so.13" >&2
  exit 2
fi
echo "run.sh: cuBLAS $cublas"
export LD_LIBRARY_PATH="$(dirname "$cublas")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

# scalekernel.gpu.required: here an unavailable GPU is a failure, not a reason to skip.
java=("$here/jre/bin/java" "-Djava.library.path=$here/lib" "-Djava.io.tmpdir=$here/tmp"
      "--enable-native-access=ALL-UNNAMED" "-Dscalekernel.cublas=$cublas" "-Dscalekernel.gpu.required=true")
"${java[@]}" -version 2>&1 | head -1

echo "== GPU conformance suite"
"${java[@]}" -jar "$here/scalekernel-gpu.jar" execute --disable-banner --disable-ansi-colors --details=tree \
  --select-class dev.scalekernel.gpu.GpuProviderTest --select-class dev.scalekernel.gpu.GpuConformanceTest \
  --reports-dir "$results/junit" 2>&1 | tee "$results/conformance.txt"
suite=${PIPESTATUS[0]}

echo "== GPU timing table"
"${java[@]}" -cp "$here/scalekernel-gpu.jar" dev.scalekernel.gpu.GpuBenchmark 2>&1 | tee "$results/benchmark.txt"
bench=${PIPESTATUS[0]}

echo "run.sh: conformance exit $suite, benchmark exit $bench; results in $results"
[ "$suite" -eq 0 ] && [ "$bench" -eq 0 ]
