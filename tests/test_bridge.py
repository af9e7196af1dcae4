"""The JAX bridge: arrays in and out, DLPack and real torch tensors, devices, and sharded
arrays on 8 simulated devices (a subprocess, since XLA fixes its device count at start)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from oracle import leaf, same_in_both

import autograd_grad as ag

ROOT = pathlib.Path(__file__).resolve().parent.parent
X = leaf([1.0, -2.0, 3.0])


def test_arrays_in_and_out_share_memory() -> None:
    a = jnp.arange(4.0, dtype=jnp.float32)
    t = ag.from_jax(a)
    assert t.to_jax() is a and jnp.asarray(t) is a  # __jax_array__: no copy
    assert np.array_equal(np.asarray(t), np.arange(4.0)) and t.numpy().dtype == np.float32
    assert float(jnp.sum(jnp.asarray(t * 2))) == 12.0


def test_dlpack_round_trips() -> None:
    host = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    t = ag.from_dlpack(host)
    assert t.shape == (2, 3) and t.dtype is ag.float32
    back = np.from_dlpack(ag.arange(3.0))
    assert back.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(RuntimeError, match="Can't export tensors that require gradient"):
        ag.ones(2, requires_grad=True).__dlpack__()


def test_real_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    src = torch.linspace(-1, 1, 5, requires_grad=True)
    t = ag.from_torch(src)
    assert t.requires_grad and t.is_leaf and t.tolist() == pytest.approx(src.tolist())
    (g,) = ag.autograd.grad((t ** 2).sum(), t)
    out = ag.to_torch(g)
    assert isinstance(out, torch.Tensor) and torch.allclose(out, 2 * src.detach())


def test_devices_like_torch() -> None:
    def prog(t, x):
        y = x.to("cpu")
        z = x.cpu()
        w = t.zeros(2, device="cpu")
        return (str(x.device), x.device == t.device("cpu"), x.is_cuda, y is x, z is x,
                str(w.device), repr(t.device("cuda:1")), str(t.device("cuda", 0)),
                x.to("cpu", t.float64).dtype, x.to(t.zeros(1, dtype=t.float64)).dtype)  # fmt: skip

    same_in_both(prog, X)


def test_missing_device_names_the_available_ones() -> None:
    if ag.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert ag.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match=r"device 'cuda' is not available.*Available devices: cpu"):
        ag.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match=r"device 'cuda:1' is not available"):
        ag.ones(2).to("cuda:1")
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        ag.ones(2, device="gpu0")


def test_to_device_is_differentiable() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    dev = ag.device("cpu", len(jax.devices("cpu")) - 1)
    y = x.to(dev) * 3
    (g,) = ag.autograd.grad(y.sum(), x)
    assert g.tolist() == [3.0, 3.0]


_SHARDED = r"""
import os, sys
import numpy as np, jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
import autograd_grad as torch

n = len(jax.devices())
mesh = Mesh(np.array(jax.devices()), ("data",))
rng = np.random.default_rng(1)
x_np = rng.standard_normal((32, 8)).astype(np.float32)
w_np = rng.standard_normal((8, 4)).astype(np.float32)
x = torch.from_jax(jax.device_put(x_np, NamedSharding(mesh, P("data"))))
w = torch.from_jax(jax.device_put(w_np, NamedSharding(mesh, P())), requires_grad=True)
out = []
for _ in range(3):  # the third step runs compiled (See Note [Compile on repeat])
    loss = ((x @ w).tanh() ** 2).mean()
    (g,) = torch.autograd.grad(loss, w, create_graph=True)
    (h,) = torch.autograd.grad((g * g).sum(), w)
    jac = torch.autograd.grad((x @ w).sum(0), w, torch.eye(4), is_grads_batched=True)[0]
    out.append((loss.item(), g.detach().numpy(), h.numpy(), jac.numpy()))
assert x.to_jax().sharding.spec == P("data")
np.save(sys.argv[1], np.array([n] + [float(v.sum()) if hasattr(v, "sum") else v for step in out for v in step]))
"""


def test_sharded_grads_equal_single_device(tmp_path: pathlib.Path) -> None:
    script = tmp_path / "sharded.py"
    script.write_text(_SHARDED)
    results = {}
    for n in (1, 8):
        env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n}",
                   JAX_PLATFORMS="cpu")  # fmt: skip
        path = tmp_path / f"out{n}.npy"
        subprocess.run([sys.executable, str(script), str(path)], check=True, env=env, cwd=ROOT)
        results[n] = np.load(path)
    assert results[1][0] == 1 and results[8][0] == 8
    np.testing.assert_allclose(results[8][1:], results[1][1:], rtol=1e-5)


def test_sharded_example_matches_single_device() -> None:
    outputs = {}
    for n in (1, 8):
        env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n}",
                   JAX_PLATFORMS="cpu")  # fmt: skip
        run = subprocess.run([sys.executable, str(ROOT / "examples" / "sharded_grad.py")],
                             check=True, env=env, capture_output=True, text=True)  # fmt: skip
        outputs[n] = run.stdout.splitlines()
    assert outputs[8][0].startswith("8 devices") and outputs[1][0].startswith("1 devices")
    assert outputs[8][1:] == outputs[1][1:]


# --- notebook tools ----------------------------------------------------------------------

def _names(root: object) -> set[str]:
    """Every node name behind a grad_fn, walking next_functions (torch's or ours)."""
    names, todo = set(), [root]
    while todo:
        node = todo.pop()
        names.add(node.name())
        todo.extend(n for n, _ in node.next_functions if n is not None)
    return names


def test_graph_svg_names_nodes_as_torch() -> None:
    torch = pytest.importorskip("torch")

    def build(t: object) -> object:
        x = t.ones(3, requires_grad=True)  # type: ignore[attr-defined]
        w = t.ones(3, 3, requires_grad=True)  # type: ignore[attr-defined]
        return ((w @ x).exp() * 2 + x).sum()

    ours, theirs = build(ag), build(torch)
    svg = str(ag.viz.graph(ours))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    expected = {n.replace("torch::autograd::", "") for n in _names(theirs.grad_fn)}
    assert expected == {"SumBackward0", "AddBackward0", "MulBackward0", "ExpBackward0",
                        "MvBackward0", "AccumulateGrad"}  # fmt: skip
    for name in expected:
        assert f">{name}" in svg
    assert ag.viz.graph(ours)._repr_svg_() == svg
    with pytest.raises(ValueError, match="no grad_fn"):
        ag.viz.graph(ag.ones(2))


def test_explain_shows_the_traced_jaxpr() -> None:
    x = ag.ones(3, requires_grad=True)
    text = str(ag.viz.explain((x.exp() * 2).sum()))
    assert "exp" in text and "reduce_sum" in text and text.startswith("{ lambda")
    fn_text = str(ag.viz.explain(lambda a: a.sin().sum(), jnp.ones(2, dtype=jnp.float32)))
    assert "sin" in fn_text


def test_repr_html_is_torch_text() -> None:
    t = ag.tensor([1.0, 2.5], requires_grad=True)
    assert t._repr_html_() == "<pre>" + repr(t) + "</pre>"
