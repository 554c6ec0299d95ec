#!/usr/bin/env bash
# The LSTM step (lstm_d64_h128_t32_b32), shapegrad's documented grad_batch
# and PyTorch eager's fused nn.LSTM, in turn on one core (see alternating.sh):
#   python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
#   PYTHON=/tmp/torchenv/bin/python bash benches/pytorch/lstm_alternating.sh
set -euo pipefail
exec bash "$(dirname "$0")/alternating.sh" lstm_blocks "$(dirname "$0")/lstm_step.py"
