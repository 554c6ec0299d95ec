#!/usr/bin/env bash
# The LSTM step (lstm_d64_h128_t32_b32), shapegrad's documented
# grad_batch and PyTorch eager, in turn, each pinned to core 0 with one
# thread, ROUNDS times (default 6): each round prints both medians, so the
# machine's drift falls on both alike. Not part of CI. From the repository's root:
#   python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
#   PYTHON=/tmp/torchenv/bin/python bash benches/pytorch/block_alternating.sh
# With ISA=avx2 both sides are held to AVX2 (shapegrad's kernel, PyTorch's
# ATen and oneDNN/MKL code paths): an AVX-512 machine's stand-in for an AVX2 one.
set -euo pipefail
PYTHON=${PYTHON:-python3}
ROUNDS=${ROUNDS:-6}
if [ "${ISA:-}" = avx2 ]; then
    export SHAPEGRAD_KERNEL=avx2 ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2
fi
cargo bench -q -p shapegrad-benches --bench lstm_blocks --no-run
for _ in $(seq "$ROUNDS"); do
    taskset -c 0 cargo bench -q -p shapegrad-benches --bench lstm_blocks 2>/dev/null | grep median
    taskset -c 0 "$PYTHON" benches/pytorch/lstm_step.py --blocks 5 | grep median
done
