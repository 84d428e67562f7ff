#!/usr/bin/env bash
# Rebuilds kernels.fatbin (the module GpuBackend loads) and its manifest from the sources here.
#
#   kernel-gpu/src/main/cuda/build.sh [OUTPUT_DIR]
#
# OUTPUT_DIR defaults to kernel-gpu/src/main/resources/dev/scalekernel/gpu (the committed copy);
# KernelsFatbinTest passes a temporary folder and compares. NVCC overrides the compiler
# (default: /usr/local/cuda-13.0/bin/nvcc, else nvcc on PATH).
#
# What the fatbin holds, and why:
#  - sm_90 SASS (H100/H200) and sm_80 SASS (A100): no JIT at load, and immune to the driver
#    refusing PTX from a newer CUDA than itself (CUDA_ERROR_UNSUPPORTED_PTX_VERSION);
#  - compute_90 PTX (ISA 9.0 from nvcc 13.0, loadable by driver 580+): JIT for newer GPUs.
#    Never PTX alone.
#  - -fmad=false: the Philox/Box–Muller twin must not have a·b+c contracted into fma where the
#    Java reference rounds twice; every wanted fma is written out. --prec-div/--prec-sqrt=true and
#    --ftz=false are nvcc's defaults, stated so that an nvcc.profile cannot change them; fast
#    math is never used.
#  - one translation unit (kernels.cu includes philox.cuh): one module, no device linking.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/../resources/dev/scalekernel/gpu}
nvcc=${NVCC:-}
if [ -z "$nvcc" ]; then
  if [ -x /usr/local/cuda-13.0/bin/nvcc ]; then nvcc=/usr/local/cuda-13.0/bin/nvcc; else nvcc=$(command -v nvcc || true); fi
fi
if [ -z "$nvcc" ] || [ ! -x "$nvcc" ]; then
  echo "build.sh: nvcc not found; install CUDA 13.0 or set NVCC=/path/to/nvcc" >&2
  exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
flags=(-fatbin -std=c++17 -O3 -fmad=false --prec-div=true --prec-sqrt=true --ftz=false
       -Werror all-warnings
       -gencode arch=compute_80,code=sm_80
       -gencode arch=compute_90,code=sm_90
       -gencode arch=compute_90,code=compute_90)
# Compile from inside the source folder with relative names, so no absolute path can end up in the output.
(cd "$here" && "$nvcc" "${flags[@]}" kernels.cu -o "$out/kernels.fatbin.tmp")
mv "$out/kernels.fatbin.tmp" "$out/kernels.fatbin"

# The manifest ties the fatbin to its inputs: KernelsFatbinTest recomputes the source hashes on
# every build (no nvcc needed) and fails when a source changed without a rebuild.
{
  echo "# Written by kernel-gpu/src/main/cuda/build.sh; do not edit."
  echo "nvcc=$("$nvcc" --version | sed -n 's/.*\(V[0-9][0-9.]*\).*/\1/p' | tail -1)"
  echo "flags=${flags[*]}"
  (cd "$here" && for f in build.sh kernels.cu philox.cuh; do echo "source $(sha256sum "$f" | cut -d' ' -f1) $f"; done)
  echo "fatbin $(sha256sum "$out/kernels.fatbin" | cut -d' ' -f1) kernels.fatbin"
} > "$out/kernels.manifest"
echo "build.sh: wrote $out/kernels.fatbin ($(stat -c %s "$out/kernels.fatbin") bytes) and kernels.manifest"
