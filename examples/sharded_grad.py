"""Data-parallel training on a device mesh: the batch is sharded across devices, the
weights are replicated, and `autograd.grad` returns correctly reduced gradients computed
by XLA's SPMD partitioner (no hand-written all-reduce).

On one machine without accelerators, simulate 8 devices:

    XLA_FLAGS=--xla_force_host_platform_device_count=8 python examples/sharded_grad.py

On a multi-host cluster, call `jax.distributed.initialize()` first on every host; the mesh
below then spans every device of every host.
"""

import os
import sys

if "jax" not in sys.modules:  # XLA reads the flag once, when JAX starts
    os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")

import jax  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec  # noqa: E402

import autograd_grad as torch  # noqa: E402

devices = jax.devices()
mesh = Mesh(np.array(devices), ("data",))
batch_sharding = NamedSharding(mesh, PartitionSpec("data"))  # split the batch dimension
replicated = NamedSharding(mesh, PartitionSpec())  # every device holds all of it
print(f"{len(devices)} devices: {', '.join(str(torch.device(d.platform if d.platform != 'gpu' else 'cuda', d.id)) for d in devices)}")

rng = np.random.default_rng(0)
x_np = rng.standard_normal((64, 16)).astype(np.float32)
y_np = np.sin(x_np.sum(1, keepdims=True)).astype(np.float32)
w1_np = (rng.standard_normal((16, 32)) * 0.3).astype(np.float32)
w2_np = (rng.standard_normal((32, 1)) * 0.3).astype(np.float32)

x = torch.from_jax(jax.device_put(x_np, batch_sharding))
y = torch.from_jax(jax.device_put(y_np, batch_sharding))
w1 = torch.from_jax(jax.device_put(w1_np, replicated), requires_grad=True)
w2 = torch.from_jax(jax.device_put(w2_np, replicated), requires_grad=True)

for step in range(5):
    pred = torch.tanh(x @ w1) @ w2
    loss = ((pred - y) ** 2).mean()
    g1, g2 = torch.autograd.grad(loss, [w1, w2])
    with torch.no_grad():
        w1 -= 0.1 * g1
        w2 -= 0.1 * g2
    print("step %d  loss %.6f" % (step, loss.item()))

print("batch sharding:", x.to_jax().sharding.spec, " grad sharding:", g1.to_jax().sharding.spec)
print("weights checksum: %.6f" % float(np.abs(w1.detach().numpy()).sum() + np.abs(w2.detach().numpy()).sum()))
