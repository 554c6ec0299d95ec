"""The 784-128-10 step of `cargo bench --bench workloads`
(two_layer_784_128_10_b64) with jax.jit, on one core: swish hidden layer,
softmax cross-entropy, the mean loss and every gradient for a batch of 64,
float32.

Not part of CI. Run once, from the repository's root:
    python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install jax
    taskset -c 0 /tmp/jaxenv/bin/python benches/jax/mnist_step.py
It prints the median time per step over blocks of steps.
"""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import statistics
import time

import jax
import jax.numpy as jnp


def loss(params, x, y):
    w1, b1, w2, b2 = params
    z1 = w1 @ x + b1[:, None]
    h = z1 * jax.nn.sigmoid(z1)
    z2 = w2 @ h + b2[:, None]
    logp = jax.nn.log_softmax(z2, axis=0)
    return -jnp.mean(logp[y, jnp.arange(x.shape[1])])


step = jax.jit(jax.value_and_grad(loss))
key = jax.random.PRNGKey(0)
k1, k2, k3 = jax.random.split(key, 3)
params = (
    jax.random.normal(k1, (128, 784), jnp.float32) * 0.05,
    jnp.zeros(128, jnp.float32),
    jax.random.normal(k2, (10, 128), jnp.float32) * 0.1,
    jnp.zeros(10, jnp.float32),
)
x = jax.random.uniform(k3, (784, 64), jnp.float32)
y = jnp.arange(64) * 7 % 10

for _ in range(50):
    jax.block_until_ready(step(params, x, y))
blocks = []
for _ in range(30):
    start = time.perf_counter()
    for _ in range(100):
        out = step(params, x, y)
    jax.block_until_ready(out)
    blocks.append((time.perf_counter() - start) / 100 * 1e6)
print(f"two_layer_784_128_10_b64 jax.jit {jax.__version__}: median {statistics.median(blocks):.1f} us, min {min(blocks):.1f} us")
