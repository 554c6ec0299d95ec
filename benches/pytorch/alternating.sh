#!/usr/bin/env bash
# A benchmark of shapegrad's documented methods and PyTorch eager's same
# step, in turn, each pinned to core 0 with one thread, ROUNDS times
# (default 6): each round prints both medians, so the machine's drift falls
# on both alike. Not part of CI. From the repository's root:
#   PYTHON=/tmp/torchenv/bin/python bash benches/pytorch/alternating.sh BENCH SCRIPT
# with BENCH a `cargo bench` target (block_blocks, lstm_blocks) and SCRIPT its
# PyTorch step (benches/pytorch/block_step.py, lstm_step.py). With ISA=avx2
# both sides are held to AVX2 (shapegrad's kernel, PyTorch's ATen and
# oneDNN/MKL code paths): an AVX-512 machine's stand-in for an AVX2 one.
set -euo pipefail
BENCH=$1
SCRIPT=$2
PYTHON=${PYTHON:-python3}
ROUNDS=${ROUNDS:-6}
if [ "${ISA:-}" = avx2 ]; then
    export SHAPEGRAD_KERNEL=avx2 ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2
fi
cargo bench -q -p shapegrad-benches --bench "$BENCH" --no-run
for _ in $(seq "$ROUNDS"); do
    taskset -c 0 cargo bench -q -p shapegrad-benches --bench "$BENCH" 2>/dev/null | grep median
    taskset -c 0 "$PYTHON" "$SCRIPT" --blocks 5 | grep median
done
