"""Every op as torch spells it. For each op-table entry with op_db entries: the torch function,
Tensor method and in-place method of the same name exist here too; and `out=`: each entry
that calls torch's own function runs with `out=` tensors on its first OpInfo sample, against
torch: the same written values, dtypes and shapes, the out tensors returned, and the same
TypeError where torch's function takes no `out=` (the op's `OpDef.out` says which). Plus
torch's errors and warning for out=."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")

import autograd_grad as ag
from oracle import const, leaf, same_in_both
from test_opinfo import NAMESPACE_PREFIX, Case, Pair, _samples, assert_close, op_db_entries

from torch.testing._internal.common_methods_invocations import op_db

from autograd_grad._ops import OPS


def _public(info: Any) -> bool:
    """The op_db entry calls the public function itself (not a lambda or a method)."""
    obj: Any = torch
    for part in info.name.split("."):
        obj = getattr(obj, part, None)
    return obj is not None and obj is info.op


def _cases() -> list[Any]:
    cases = []
    for opdef in OPS.values():
        if opdef.opinfo is None or not any(ns in NAMESPACE_PREFIX for ns in opdef.namespaces):
            continue
        for info in op_db_entries(opdef):
            if _public(info) and torch.float32 in info.dtypes:
                entry = f"{info.name}.{info.variant_test_name}".rstrip(".")
                cases.append(pytest.param(opdef, info, id=entry))
    return cases


def _takes_out(opdef: Any, info: Any) -> bool:
    namespace = info.name.rpartition(".")[0] or "torch"
    return opdef.takes_out(namespace)


def _empty(module: Any, result: Any) -> Any:
    """Zero-element out tensors of the result's dtypes (torch resizes them silently)."""
    if isinstance(result, torch.Tensor):
        dtype = result.dtype if module is torch else getattr(ag, str(result.dtype)[6:])
        return module.empty(0, dtype=dtype)
    return tuple(_empty(module, r) for r in result)


def _tensors_only(result: Any) -> bool:
    if isinstance(result, torch.Tensor):
        return True
    return isinstance(result, tuple) and bool(result) and all(
        isinstance(r, torch.Tensor) for r in result)  # fmt: skip


@pytest.mark.parametrize(("opdef", "info"), _cases())
def test_out(opdef: Any, info: Any) -> None:
    index = next(i for i, x in enumerate(op_db) if x is info)
    samples = _samples(index, torch.float32)
    if not samples:
        pytest.skip("no sample inputs")
    pair = Pair(samples[0])
    ours_fn: Any = ag
    for part in info.name.split("."):
        ours_fn = getattr(ours_fn, part)
    with torch.no_grad(), ag.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        input, args, kwargs = pair.torch_args
        try:
            expected = info.op(input, *args, **kwargs)
        except Exception:  # noqa: BLE001 - a sample torch rejects says nothing about out=
            pytest.skip("torch rejects the first sample")
        if not _tensors_only(expected):
            pytest.skip("the result is not tensors")
        try:
            their_out = _empty(torch, expected)
            theirs = info.op(input, *args, **kwargs, out=their_out)
        except TypeError as e:
            if "out = None" in str(e) or "missing" in str(e):  # out= in other overloads only
                # (torch.sum(x, dim, out=...), torch.median(x, dim, out=...))
                pytest.skip("torch takes out= in other overloads only")
            assert not _takes_out(opdef, info), f"torch.{info.name} takes no out=; see OpDef.out"
            input, args, kwargs = pair.our_args
            with pytest.raises(TypeError):
                ours_fn(input, *args, **kwargs, out=_empty(ag, expected))
            return
        assert _takes_out(opdef, info), f"torch.{info.name} takes out=; see OpDef.out"
        input, args, kwargs = pair.our_args
        our_out = _empty(ag, expected)
        ours = ours_fn(input, *args, **kwargs, out=our_out)
    case = Case(opdef, info, torch.float32, "forward")
    values = not info.has_nondeterministic_output  # empty(): shapes and dtypes only
    if case.xfail_reason() is not None:
        values = False  # the op's values differ from torch's (the forward phase's xfail)
    assert_close(our_out, their_out, case, "out", values=values)
    assert_close(ours, theirs, case, "returned", values=values)
    if isinstance(theirs, torch.Tensor):
        assert ours is our_out


def test_out_errors_and_resize_warning() -> None:
    def write(t: Any, x: Any, out: Any) -> Any:
        return t.add(x, 1, out=out), out

    same_in_both(write, const([1.0, 2.0, 3.0]), const([0.0, 0.0]))  # resized, with a warning
    same_in_both(write, const([1.0, 2.0, 3.0]), const([0.0, 0.0, 0.0], "float64"))  # cast
    same_in_both(write, const([1.5, 2.0]), const([0, 0]))  # Float can't be cast to Long
    same_in_both(write, leaf([1.0, 2.0]), const([0.0, 0.0]))  # no autograd through out=
    same_in_both(write, const([1.0, 2.0]), leaf([0.0, 0.0]))

    def under_no_grad(t: Any, x: Any) -> Any:
        out = t.empty(2)
        with t.no_grad():
            t.mul(x, 2, out=out)
        return out, out.requires_grad

    same_in_both(under_no_grad, leaf([1.0, 2.0]))

    def multi(t: Any, x: Any) -> Any:
        values, indices = t.empty(0), t.empty(0, dtype=t.int64)
        r = t.max(x, 1, out=(values, indices))
        return tuple(r), r.values is values, values, indices

    same_in_both(multi, const([[1.0, 5.0], [3.0, 2.0]]))


def test_functions_methods_and_in_place_methods() -> None:
    missing = set()
    for opdef in OPS.values():
        if opdef.opinfo is None:
            continue
        for info in op_db_entries(opdef):
            name = info.name
            if "." in name:
                continue
            if hasattr(torch, name) and not hasattr(ag, name):
                missing.add(f"torch.{name}")
            for method in (name, name + "_"):
                if hasattr(torch.Tensor, method) and not hasattr(ag.Tensor, method):
                    missing.add(f"Tensor.{method}")
    assert not missing, sorted(missing)
