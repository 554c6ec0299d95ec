"""Runs a model exported by shapegrad's `to_onnx` with onnxruntime and
compares its outputs with shapegrad's `forward_batch` on the same inputs.

Usage: check.py DIR, where DIR holds model.onnx and cases.json: a list of
{"inputs": {name: {"shape": [...], "file": ...}}, "outputs": {...}} with the
values as little-endian float32 files (int64 where an entry says
"dtype": "int64": index inputs). Prints one line per output; exits 1
when any value differs by more than 1e-5 (relative to max(1, |value|)).
"""

import json
import os
import sys

import numpy as np
import onnxruntime as ort

directory = sys.argv[1]
session = ort.InferenceSession(os.path.join(directory, "model.onnx"), providers=["CPUExecutionProvider"])
with open(os.path.join(directory, "cases.json")) as f:
    cases = json.load(f)


def read(entry):
    dtype = "<i8" if entry.get("dtype") == "int64" else "<f4"
    data = np.fromfile(os.path.join(directory, entry["file"]), dtype=dtype)
    return data.reshape(entry["shape"])


worst = 0.0
for case in cases:
    feeds = {name: read(entry) for name, entry in case["inputs"].items()}
    names = list(case["outputs"].keys())
    got = session.run(names, feeds)
    for name, value in zip(names, got):
        want = read(case["outputs"][name])
        if value.shape != want.shape:
            print(f"{directory}: output {name}: shape {value.shape}, expected {want.shape}")
            sys.exit(1)
        err = float(np.max(np.abs(value - want) / np.maximum(1.0, np.abs(want))))
        worst = max(worst, err)
        print(f"{os.path.basename(directory)}: output {name} {list(value.shape)}: max relative |Δ| = {err:.2e}")
sys.exit(0 if worst <= 1e-5 else 1)
