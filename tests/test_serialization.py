"""save/load in torch's file format (Note [Torch's file format]): what we write, real torch
loads (with weights_only too), and what torch writes, we load; plain pickles of older
versions still load."""

from __future__ import annotations

import io
import pickle
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import autograd_grad as ag

torch = pytest.importorskip("torch")

DTYPES = ("float32", "float64", "bfloat16", "float16", "int64", "int32", "int16", "int8",
          "uint8", "bool", "complex64", "complex128")  # fmt: skip


def _same(ours: ag.Tensor, theirs: torch.Tensor) -> None:
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.requires_grad == theirs.requires_grad
    a = np.asarray(ours.detach().to(ag.float32 if ours.dtype is ag.bfloat16 else ours.dtype)._data)
    b = theirs.detach().to(torch.float32 if theirs.dtype == torch.bfloat16 else theirs.dtype)
    np.testing.assert_array_equal(a, b.numpy())


def test_torch_loads_what_we_save(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    tensors = {d: ag.tensor(rng.standard_normal((2, 3)) * 5).to(getattr(ag, d)) for d in DTYPES}
    model = ag.nn.Linear(3, 2)
    obj = {"model": model.state_dict(), "tensors": tensors, "step": 7, "lr": 0.1,
           "x": ag.tensor([1.0, 2.0], requires_grad=True), "p": ag.nn.Parameter(ag.zeros(2)),
           "list": [ag.arange(4), (ag.ones(()), "name")], "empty": ag.zeros(0, 3)}  # fmt: skip
    path = tmp_path / "ckpt.pt"
    ag.save(obj, path)
    for weights_only in (True, False):
        theirs = torch.load(path, weights_only=weights_only)
        assert theirs["step"] == 7 and theirs["lr"] == 0.1 and theirs["list"][1][1] == "name"
        for d in DTYPES:
            _same(tensors[d], theirs["tensors"][d])
        _same(obj["x"], theirs["x"])
        _same(obj["empty"], theirs["empty"])
        _same(obj["list"][0], theirs["list"][0])
        assert type(theirs["p"]) is torch.nn.Parameter and theirs["p"].requires_grad
        linear = torch.nn.Linear(3, 2)
        linear.load_state_dict(theirs["model"])
        _same(model.weight, linear.weight)
    buffer = io.BytesIO()  # a file object, too
    ag.save([ag.ones(2)], buffer)
    _same(ag.ones(2), torch.load(io.BytesIO(buffer.getvalue()))[0])


def test_we_load_what_torch_saves(tmp_path: Path) -> None:
    torch.manual_seed(0)
    linear = torch.nn.Linear(3, 2)
    theirs = {"model": linear.state_dict(), "strided": torch.arange(6.0).reshape(2, 3).t(),
              "offset": torch.arange(10)[3:7], "p": torch.nn.Parameter(torch.ones(2)),
              "x": torch.randn(3, requires_grad=True), "half": torch.ones(2, dtype=torch.bfloat16),
              "meta": OrderedDict(a=1)}  # fmt: skip
    path = tmp_path / "theirs.pt"
    torch.save(theirs, path)
    ours = ag.load(path)
    for key in ("strided", "offset", "x", "half"):
        _same(ours[key], theirs[key])
    assert isinstance(ours["p"], ag.nn.Parameter) and ours["p"].requires_grad
    assert ours["meta"] == OrderedDict(a=1)
    model = ag.nn.Linear(3, 2)
    model.load_state_dict(ours["model"])
    _same(model.weight.detach(), linear.weight.detach())
    with path.open("rb") as f:  # a file object
        _same(ag.load(f)["strided"], theirs["strided"])


def test_plain_pickles_still_load(tmp_path: Path) -> None:
    path = tmp_path / "old.pt"
    path.write_bytes(pickle.dumps({"w": ag.tensor([1.0, 2.0], requires_grad=True)}, protocol=2))
    loaded = ag.load(path)
    assert loaded["w"].requires_grad and loaded["w"].tolist() == [1.0, 2.0]
