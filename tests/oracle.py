"""Differential testing: one program runs under torch and under autograd_grad.

`same_in_both(prog, *args)` calls `prog(torch, *torch_args)` and
`prog(autograd_grad, *our_args)` and compares what they return, recursively:
values (per-dtype tolerances), shapes, dtypes, `None`s, `requires_grad`,
`grad_fn` names, and the class and text of any exception.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import autograd_grad as ag

torch = pytest.importorskip("torch")

# Our create_graph gradients come from one recorded vjp node; torch names them after the
# last op of its backward formula. See README "How it differs from torch".
OUR_GRAD_NODE = "GradBackward"
# torch.func transforms whose inputs require grad record one node (See _bridge.py).
OUR_TRANSFORM_NODE = "TransformBackward"
_TRIGGERED = re.compile(r" \(Triggered internally at [^)]*\.\)$")

TOLERANCES = {"float16": (1e-2, 1e-2), "bfloat16": (2e-2, 2e-2), "float32": (1e-4, 1e-5),
              "float64": (1e-7, 1e-9), "complex64": (1e-4, 1e-5), "complex128": (1e-7, 1e-9)}  # fmt: skip


@dataclass(frozen=True)
class Arg:
    """A test input: an array and whether it requires grad."""

    array: np.ndarray
    requires_grad: bool = False


def leaf(data: Any, dtype: str | None = None) -> Arg:
    """An input that requires grad."""
    a = np.asarray(data, dtype=dtype or (np.float32 if np.asarray(data).dtype.kind == "f" else None))
    return Arg(a, True)


def const(data: Any, dtype: str | None = None) -> Arg:
    a = np.asarray(data, dtype=dtype) if dtype else np.asarray(data)
    if a.dtype == np.float64 and dtype is None:
        a = a.astype(np.float32)
    return Arg(a, False)


def randn(*shape: int, seed: int = 0, dtype: str = "float32", requires_grad: bool = True) -> Arg:
    rng = np.random.default_rng(seed)
    return Arg(rng.standard_normal(shape).astype(dtype), requires_grad)


def _make(module: Any, arg: Any) -> Any:
    if isinstance(arg, Arg):
        t = module.tensor(arg.array.copy())
        return t.requires_grad_() if arg.requires_grad else t
    return arg


def run(prog: Callable[..., Any], module: Any, args: tuple[Any, ...]) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = prog(module, *(_make(module, a) for a in args))
        except Exception as e:  # noqa: BLE001 - the exception is the result
            out = e
    # Deprecations of torch's own internals (attributed to a file inside torch, such as
    # torch.jit.script under autograd.functional) are not part of the program's behaviour.
    inside = f"{os.sep}torch{os.sep}"
    return out, [(w.category, str(w.message)) for w in caught
                 if not (w.category is DeprecationWarning and inside in (w.filename or ""))]  # fmt: skip


def compare(ours: Any, theirs: Any, path: str = "result", *, names: bool = True) -> None:
    if isinstance(theirs, BaseException):
        assert isinstance(ours, BaseException), f"{path}: torch raised {theirs!r}, we returned {ours!r}"
        assert type(ours).__name__ == type(theirs).__name__, (
            f"{path}: torch raised {type(theirs).__name__}: {theirs}, we raised "
            f"{type(ours).__name__}: {ours}")
        assert str(theirs).startswith(str(ours)) and str(ours), (
            f"{path}: message differs\n torch: {theirs}\n   ours: {ours}")
        return
    if isinstance(ours, BaseException):
        raise AssertionError(f"{path}: we raised {type(ours).__name__}: {ours}; torch returned {theirs!r}")
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ag.Tensor), f"{path}: expected a Tensor, got {type(ours).__name__}"
        assert str(ours.dtype) == str(theirs.dtype), f"{path}: dtype {ours.dtype} != {theirs.dtype}"
        assert tuple(ours.shape) == tuple(theirs.shape), f"{path}: shape {ours.shape} != {theirs.shape}"
        assert ours.requires_grad == theirs.requires_grad, (
            f"{path}: requires_grad {ours.requires_grad} != {theirs.requires_grad}")
        assert (ours.grad_fn is None) == (theirs.grad_fn is None), (
            f"{path}: grad_fn {ours.grad_fn} vs torch {theirs.grad_fn}")
        if names and theirs.grad_fn is not None and ours.grad_fn.name() not in (OUR_GRAD_NODE, OUR_TRANSFORM_NODE):
            assert ours.grad_fn.name() == theirs.grad_fn.name(), (
                f"{path}: grad_fn {ours.grad_fn.name()} != {theirs.grad_fn.name()}")
        a = np.asarray(ours.detach()._data).astype(np.complex128 if ours.dtype.is_complex else np.float64)
        b = theirs.detach().to(torch.complex128 if theirs.is_complex() else torch.float64).numpy() \
            if theirs.dtype != torch.bool else theirs.numpy()
        rtol, atol = TOLERANCES.get(str(theirs.dtype).replace("torch.", ""), (0, 0))
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=path)
        return
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{path}: keys differ"
        for k in theirs:
            compare(ours[k], theirs[k], f"{path}[{k!r}]", names=names)
        return
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)), f"{path}: expected a sequence, got {ours!r}"
        assert type(ours).__name__ == type(theirs).__name__ or (
            isinstance(ours, tuple) and isinstance(theirs, tuple)), f"{path}: {type(ours)} vs {type(theirs)}"
        assert len(ours) == len(theirs), f"{path}: length {len(ours)} != {len(theirs)}"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            compare(o, t, f"{path}[{i}]", names=names)
        return
    if isinstance(theirs, torch.dtype):
        assert str(ours) == str(theirs), f"{path}: {ours} != {theirs}"
        return
    if isinstance(theirs, torch.Size):
        assert isinstance(ours, ag.Size) and tuple(ours) == tuple(theirs), f"{path}: {ours} != {theirs}"
        return
    if isinstance(theirs, float):
        assert isinstance(ours, float), f"{path}: {ours!r} is not a float"
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, equal_nan=True, err_msg=path)
        return
    assert type(ours) is type(theirs) and ours == theirs, f"{path}: {ours!r} != {theirs!r}"


def same_in_both(prog: Callable[..., Any], *args: Any, names: bool = True,
                 warnings_too: bool = True) -> Any:  # fmt: skip
    """Run `prog(module, *inputs)` under torch and autograd_grad; assert the results agree."""
    theirs, their_warnings = run(prog, torch, args)
    ours, our_warnings = run(prog, ag, args)
    compare(ours, theirs, names=names)
    if warnings_too:
        # A warning torch raises from C++ ends with where in its source: not compared.
        tw = [(c.__name__, _TRIGGERED.sub("", m)) for c, m in their_warnings
              if not c.__module__.startswith("torch")]  # fmt: skip
        ow = [(c.__name__, m) for c, m in our_warnings]
        assert ow == tw, f"warnings differ\n torch: {tw}\n   ours: {ow}"
    return ours
