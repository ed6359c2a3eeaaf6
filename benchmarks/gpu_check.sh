#!/usr/bin/env bash
# One command on a CUDA machine: golden parity (fp32 and bf16) and a timed 50-frame all-frames all-heads analysis.
# Usage: bash benchmarks/gpu_check.sh [--dry-run] [GOLDEN_DIR]   (default: $CINEMA_GOLDEN or
#        ../shared/fixtures/cinema-golden). --dry-run needs no GPU: it checks the fixtures and lists the analysis.
# Exits non-zero on any failure: no CUDA, a parity miss, or GPU time over the 0.5 s target. Under 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
dry=()
if [ "${1:-}" = "--dry-run" ]; then dry=(--dry-run); shift; fi
golden="${1:-${CINEMA_GOLDEN:-../shared/fixtures/cinema-golden}}"
if [ ! -f "$golden/MANIFEST.json" ]; then
  echo "gpu_check: no golden fixtures at $golden (pass the cinema-golden folder)" >&2
  exit 2
fi
[ ${#dry[@]} -eq 0 ] && { nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true; }
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 timeout 280 python3 benchmarks/gpu_check.py \
  --golden "$golden" "${dry[@]}"
