#!/usr/bin/env bash
# The GPU checks, on the device machine once pack.sh's four folders are unpacked under /tmp/vs (README.md).
# Each step has its own time limit inside BUDGET seconds; SKIP names steps to leave out; everything is logged to $OUT/gpu.log.
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/vs/out}
BUDGET=${BUDGET:-480}
mkdir -p "$OUT" /tmp/vs/shim
export PYTHONPATH=/tmp/vs/site:$PWD/src PATH=/tmp/vs/bin:$PATH PYANNOTE_METRICS_ENABLED=false HF_HUB_OFFLINE=1 \
  PYTHONUNBUFFERED=1
# ctranslate2 4.8 is built for CUDA 12 and dlopens libcublas.so.12 for nine functions (cublasCreate_v2,
# cublasGemmEx, cublasSgemm_v2, ...); the image carries cuBLAS 13, whose nine have the same signatures.
cublas=$(find /opt /usr/local /usr/lib \( -name 'libcublas.so.12' -o -name 'libcublas.so.13' \) 2>/dev/null | sort | head -1)
[ "${cublas##*.so.}" = 13 ] && ln -sf "$cublas" /tmp/vs/shim/libcublas.so.12
export LD_LIBRARY_PATH=/tmp/vs/shim:$(dirname "$cublas")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

step() {  # step NAME SECONDS COMMAND...: run with the smaller of its limit and what is left of BUDGET
  local name=$1 limit=$2 left=$((BUDGET - SECONDS)); shift 2
  [[ " ${SKIP:-} " == *" $name "* ]] && { echo "== $name: skipped (SKIP)"; return; }
  [ "$left" -lt 20 ] && { echo "== $name: skipped, ${left}s left"; return; }
  [ "$limit" -gt "$left" ] && limit=$left
  echo "== $name (limit ${limit}s, at ${SECONDS}s): $*"
  local start=$SECONDS
  timeout "$limit" "$@" 2>&1
  echo "== $name: rc $? in $((SECONDS - start))s"
}

{
  echo "cuBLAS: $cublas"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  step compile 90 python3 -m compileall -q -j 0 /tmp/vs/site src  # bytecode, as pip compiles it at install
  step versions 60 python3 -c "
import torch, ctranslate2, faster_whisper, pyannote.audio, vramscribe
print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))
print('ctranslate2', ctranslate2.__version__, 'cuda devices', ctranslate2.get_cuda_device_count(),
      'compute types', sorted(ctranslate2.get_supported_compute_types('cuda')))
print('faster-whisper', faster_whisper.__version__, 'pyannote.audio', pyannote.audio.__version__)"
  step test_gpu 150 python3 -m pytest -p no:cacheprovider -x -s -q tests/test_gpu.py
  step measure_tiny 120 python3 benchmarks/gpu/measure.py tiny.en --minutes 20 --json "$OUT/tiny_en.json"
  step build_large 100 python3 benchmarks/gpu/build_model.py /tmp/vs/large-v3
  step measure_large 120 python3 benchmarks/gpu/measure.py /tmp/vs/large-v3 --minutes 10 --no-diarize \
    --json "$OUT/large_v3.json"
  step repeat 90 python3 benchmarks/repeat_memory.py example/dialogue.wav 5
  step diarize_batches 180 python3 benchmarks/gpu/diarize_batches.py --minutes 20
} 2>&1 | tee "$OUT/gpu.log"
