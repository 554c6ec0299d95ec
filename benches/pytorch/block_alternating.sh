#!/usr/bin/env bash
# The transformer block step (block_d64_t64_b32), shapegrad's documented
# grad_batch and PyTorch eager, in turn on one core (see alternating.sh):
#   python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
#   PYTHON=/tmp/torchenv/bin/python bash benches/pytorch/block_alternating.sh
set -euo pipefail
exec bash "$(dirname "$0")/alternating.sh" block_blocks "$(dirname "$0")/block_step.py"
