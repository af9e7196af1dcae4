"""`autograd_grad/_printing.py` against real torch reprs.

The module is loaded straight from its file (as `agp_printing_pkg._printing`, under a stand-in
parent package that supplies `_dtype.get_default_dtype`), so these tests do not depend on the
rest of `autograd_grad` importing cleanly.
"""

from __future__ import annotations

import importlib.util
import math
import sys
import types
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import ml_dtypes
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PATH = Path(__file__).resolve().parents[1] / "autograd_grad" / "_printing.py"
_PKG = "agp_printing_pkg"


def _load() -> types.ModuleType:
    pkg = types.ModuleType(_PKG)
    pkg.__path__ = []  # a package, so `from ._dtype import ...` resolves to our stand-in
    dtype_mod = types.ModuleType(f"{_PKG}._dtype")
    dtype_mod.get_default_dtype = lambda: SimpleNamespace(name=str(torch.get_default_dtype())[6:])
    sys.modules[_PKG] = pkg
    sys.modules[f"{_PKG}._dtype"] = dtype_mod
    spec = importlib.util.spec_from_file_location(f"{_PKG}._printing", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


P = _load()


@pytest.fixture(autouse=True)
def _reset_printoptions():
    yield
    torch.set_printoptions(profile="default")
    P.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


def _to_numpy(t: Any) -> np.ndarray:
    t = t.detach()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: go through float32 to ml_dtypes
        return t.float().numpy().astype(ml_dtypes.bfloat16)
    return t.numpy()


def _suffixes(t: Any) -> list[str]:
    if t.grad_fn is not None:
        return [f"grad_fn=<{type(t.grad_fn).__name__}>"]
    return ["requires_grad=True"] if t.requires_grad else []


def check(t: Any) -> None:
    ours = P.format_array(_to_numpy(t), str(t.dtype)[6:], suffixes=_suffixes(t),
                          default_dtype_name=str(torch.get_default_dtype())[6:])
    assert ours == repr(t), f"\nours:\n{ours}\ntorch:\n{t!r}"


NAN, INF = math.nan, math.inf
FLOAT_DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
ALL_DTYPES = FLOAT_DTYPES + [torch.complex64, torch.complex128, torch.int8, torch.int16,
                             torch.int32, torch.int64, torch.uint8, torch.bool]

FLOAT_CASES = [
    [2.0, 4.0], [1.5, 2.25], [0.1, 0.2, 0.3], [1.0, 2.5, -3.0], [0.0], [-0.0], [0.0, -0.0],
    [-0.0, 1.0], [-0.0, 1.5], [1e-5, 1.0], [1e9], [1e8], [1.0, 1000.0], [1.0, 1001.0],
    [1e-4, 1.0], [NAN], [INF, -INF], [NAN, 1.0, INF], [NAN, 1.5], [1e10, NAN, -INF],
    [123456789.0], [-1.0, -2.0], [3.14159265, -2.71828], [1e-30, 1e30], [65504.0, 1.0],
    [0.5, 100.0, 1e-3], [12345.678, 0.001], [1e20, 1e20], [-1e-8], [100.0, 2.0, NAN, -0.0],
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("values", FLOAT_CASES, ids=str)
def test_floats(values: list[float], dtype: Any) -> None:
    check(torch.tensor(values, dtype=dtype))
    check(torch.tensor(values[0], dtype=dtype))  # 0-d


@pytest.mark.parametrize("dtype", [torch.int8, torch.int16, torch.int32, torch.int64,
                                   torch.uint8])
def test_ints(dtype: Any) -> None:
    check(torch.tensor([1, 2, 3], dtype=dtype))
    check(torch.tensor([0, 100, 7, 12], dtype=dtype))
    check(torch.tensor(5, dtype=dtype))
    check(torch.arange(60, dtype=dtype).reshape(3, 4, 5))
    if dtype != torch.uint8:
        check(torch.tensor([-1, 10, -100], dtype=dtype))
    check(torch.tensor([2**62, -(2**62), 3]))
    check(torch.arange(40))  # wraps across lines


def test_bools() -> None:
    check(torch.tensor([True, False, True]))
    check(torch.tensor([True, True]))
    check(torch.tensor(False))
    check(torch.ones(2, 3, dtype=torch.bool))
    check(torch.zeros(2000, dtype=torch.bool))


@pytest.mark.parametrize("dtype", [torch.complex64, torch.complex128])
def test_complex(dtype: Any) -> None:
    for values in ([1 + 2j, 3 - 4j], [0.5 - 0.25j], [1e-5 + 1j, 2 + 1e9j], [complex(0, -0.0)],
                   [complex(NAN, INF), 1 + 1j], [complex(-INF, -INF)], [1j, -1j, 0j],
                   [complex(1.5, -0.0), complex(-0.0, 2.0)]):
        check(torch.tensor(values, dtype=dtype))
        check(torch.tensor(values[0], dtype=dtype))
    check(torch.arange(40.0).reshape(4, 10).to(dtype) * (1 - 0.5j))
    check(torch.randn(50, 40, dtype=dtype))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0), (3, 0, 2), (1, 0)])
def test_empty(shape: tuple[int, ...], dtype: Any) -> None:
    check(torch.zeros(shape, dtype=dtype))


def test_multidim() -> None:
    check(torch.arange(24.0).reshape(2, 3, 4))
    check(torch.arange(24.0).reshape(2, 3, 4) / 7)
    check(torch.arange(48.0).reshape(2, 3, 2, 4) * 1e6)
    check(torch.ones(1, 1, 1))
    check(torch.ones(3, 1))
    check(torch.randn(4, 30))  # rows wrap, continuation lines indented under the row
    check(torch.randn(2, 2, 30, dtype=torch.float64))


def test_summarize() -> None:
    check(torch.arange(1001))
    check(torch.arange(1000))
    check(torch.arange(2000.0))
    check(torch.arange(2000.0) / 3)
    check(torch.randn(40, 40))
    check(torch.randn(11, 10, 10))
    check(torch.randn(2, 600))
    check(torch.randn(600, 2))
    big = torch.arange(3000.0).reshape(30, 100)
    big[15, 50] = 1e20  # hidden by summarization, so it must not switch sci mode on
    check(big)
    check(torch.randint(-5, 5, (10, 10, 11), dtype=torch.int8))


def test_suffixes() -> None:
    leaf = torch.tensor([1.0, 2.0], requires_grad=True)
    check(leaf)
    check(leaf * 2)
    check(leaf.sum())
    check(torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True))
    check(torch.tensor([1.0, 2.0], dtype=torch.float16, requires_grad=True) * 3)
    # Suffixes wrap onto their own line once the last line is too long.
    check(torch.randn(3, 10, requires_grad=True) * 2)
    check(torch.randn(9, requires_grad=True) * 2)
    check(torch.randn(8, dtype=torch.float64, requires_grad=True) * 2)
    check(torch.zeros(0, 3, requires_grad=True))
    check(torch.zeros(0, requires_grad=True, dtype=torch.float64) + 1)
    for n in range(1, 14):
        check(torch.arange(float(n), requires_grad=True) * 1.5)
        check(torch.arange(float(n), dtype=torch.float64, requires_grad=True) - 0.25)


def test_default_dtype_float64() -> None:
    torch.set_default_dtype(torch.float64)
    check(torch.tensor([1.0, 2.0]))
    check(torch.tensor([1.0, 2.0], dtype=torch.float32))
    check(torch.tensor([1 + 1j], dtype=torch.complex128))
    check(torch.tensor([1 + 1j], dtype=torch.complex64))
    check(torch.zeros(0, dtype=torch.float32))
    check(torch.zeros(0, dtype=torch.float64))


@pytest.mark.parametrize("options", [
    {"precision": 2}, {"precision": 0}, {"precision": 8}, {"sci_mode": True},
    {"sci_mode": False}, {"threshold": 5}, {"threshold": 5, "edgeitems": 1},
    {"threshold": 5, "edgeitems": 0}, {"linewidth": 30}, {"linewidth": 1},
    {"profile": "short"}, {"profile": "full"},
], ids=str)
def test_printoptions(options: dict[str, Any]) -> None:
    torch.set_printoptions(**options)
    P.set_printoptions(**options)
    assert P.get_printoptions() == torch._tensor_str.get_printoptions()
    for t in [torch.tensor([1.12345, 2.5, -3.0]), torch.tensor([1e-5, 1.0, 1e9]),
              torch.arange(10), torch.arange(10.0), torch.arange(24.0).reshape(2, 3, 4) / 3,
              torch.arange(2000.0), torch.tensor(3.14159), torch.tensor([1 + 2.5j, -1j]),
              torch.tensor([True, False] * 4), torch.zeros(0, 2), torch.tensor([NAN, 2.0]),
              torch.arange(12.0, requires_grad=True) * 2, torch.randn(7, 8)]:
        check(t)


# --- randomized --------------------------------------------------------------

_POOL = st.one_of(
    st.floats(-10, 10, allow_nan=False),
    st.floats(-1e12, 1e12, allow_nan=False),
    st.floats(-1e-3, 1e-3, allow_nan=False),
    st.integers(-1000, 1000).map(float),
    st.sampled_from([NAN, INF, -INF, 0.0, -0.0, 1e-5, 1e8, 1e9, 0.5, 1e30, -1e-30]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.lists(st.integers(0, 6), max_size=3)
    | st.lists(st.integers(1, 14), min_size=2, max_size=3),  # some exceed the threshold
    pool=st.lists(_POOL, min_size=1, max_size=6),
    dtype=st.sampled_from(ALL_DTYPES),
    seed=st.integers(0, 2**32 - 1),
    grad=st.sampled_from([None, "leaf", "op"]),
)
def test_random(shape: list[int], pool: list[float], dtype: Any, seed: int,
                grad: str | None) -> None:
    rng = np.random.default_rng(seed)
    values = rng.choice(np.array(pool), size=tuple(shape))
    if dtype.is_complex:
        with np.errstate(invalid="ignore"):  # 1j * inf is (nan+infj): intended, not an error
            values = values + 1j * rng.choice(np.array(pool), size=tuple(shape))
    elif not dtype.is_floating_point:
        info = torch.iinfo(dtype) if dtype != torch.bool else None
        values = np.nan_to_num(values)
        values = (values != 0) if info is None else np.clip(np.trunc(values), info.min, info.max)
    t = torch.tensor(values).to(dtype)
    if grad is not None and (dtype.is_floating_point or dtype.is_complex):
        t.requires_grad_(True)
        if grad == "op":
            t = t * 1
    check(t)


# --- tensor_repr ---------------------------------------------------------------

def _fake(array: np.ndarray, dtype_name: str, *, requires_grad: bool = False,
          grad_fn: str | None = None) -> SimpleNamespace:
    node = None if grad_fn is None else SimpleNamespace(name=lambda: grad_fn)
    return SimpleNamespace(_value=SimpleNamespace(data=array), dtype=SimpleNamespace(name=dtype_name),
                           requires_grad=requires_grad or node is not None,
                           is_leaf=node is None, grad_fn=node)


def test_tensor_repr() -> None:
    a = np.array([2.0, 4.0], dtype=np.float32)
    assert P.tensor_repr(_fake(a, "float32")) == "tensor([2., 4.])"
    assert P.tensor_repr(_fake(a, "float32", requires_grad=True)) == \
        "tensor([2., 4.], requires_grad=True)"
    assert P.tensor_repr(_fake(a, "float32", grad_fn="MulBackward0")) == \
        "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert P.tensor_repr(_fake(a.astype(np.float64), "float64", grad_fn="torch::autograd::X")) \
        == "tensor([2., 4.], dtype=torch.float64, grad_fn=<X>)"
    assert P.tensor_repr(_fake(a.astype(ml_dtypes.bfloat16), "bfloat16")) == \
        "tensor([2., 4.], dtype=torch.bfloat16)"
    assert P.tensor_repr(_fake(np.zeros((0, 3), np.int64), "int64")) == \
        "tensor([], size=(0, 3), dtype=torch.int64)"
    torch.set_default_dtype(torch.float64)
    assert P.tensor_repr(_fake(a.astype(np.float64), "float64")) == "tensor([2., 4.])"
    assert P.tensor_repr(_fake(np.array([1j], np.complex128), "complex128")) == \
        "tensor([0.+1.j])"
