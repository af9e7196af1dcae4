"""Tensor methods, operators, in-place variants and namespaces, generated from `OPS`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import numpy as np

from . import _dtype, _errors
from ._core import Value, is_grad_enabled
from ._dispatch import dispatch
from ._ops import OPS
from ._ops._table import OpDef
from ._tensor import Tensor

NAMESPACES: dict[str, dict[str, Callable[..., Any]]] = {
    "torch": {}, "nn.functional": {}, "linalg": {}, "special": {}, "fft": {}}  # fmt: skip

_INPLACE_DUNDERS = {"__add__": "__iadd__", "__sub__": "__isub__", "__mul__": "__imul__",
                    "__truediv__": "__itruediv__", "__floordiv__": "__ifloordiv__",
                    "__mod__": "__imod__", "__pow__": "__ipow__", "__and__": "__iand__",
                    "__or__": "__ior__", "__xor__": "__ixor__"}  # fmt: skip


def _function(opdef: OpDef) -> Callable[..., Any]:
    def fn(*args: Any, **kwargs: Any) -> Any:
        return dispatch(opdef, args, kwargs)

    fn.__name__ = fn.__qualname__ = opdef.name
    fn.__doc__ = f"Same as `torch.{opdef.name}`."
    fn.__signature__ = inspect.signature(opdef.impl)  # type: ignore[attr-defined]
    return fn


def _method(opdef: OpDef) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return dispatch(opdef, (self, *args), kwargs)

    return method


def _reflected(opdef: OpDef) -> Callable[..., Any]:
    def method(self: Tensor, other: Any) -> Any:
        return dispatch(opdef, (other, self), {})

    return method


def check_inplace(t: Tensor) -> None:
    """torch's check_inplace: a leaf that requires grad can't be changed while recording."""
    if t.is_leaf and t.requires_grad and is_grad_enabled():
        raise RuntimeError(_errors.LEAF_INPLACE)


def assign(t: Tensor, result: Tensor) -> Tensor:
    """Point `t` at the value of an in-place op's result (See Note [Values and tensors])."""
    if result.dtype is not t.dtype:
        if _dtype.promote_types(result.dtype, t.dtype) is not t.dtype and not (
                result.dtype is _dtype.bool_):  # fmt: skip
            raise RuntimeError(
                f"result type {_legacy(result.dtype)} can't be cast to the desired output type "
                f"{_legacy(t.dtype)}")
        result = dispatch(OPS["to_dtype"], (result, t.dtype), {})
    if result._value.node is None and t.is_leaf:
        # Not recorded (no_grad, or nothing requires grad): the leaf keeps its identity, as
        # torch's optimizer-style updates under no_grad do.
        t._value.data = result._value.data
    else:
        t._value = result._value
    return t


def _legacy(d: _dtype.dtype) -> str:
    return {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
            "bool": "Bool", "float16": "Half", "int16": "Short", "int8": "Char",
            "uint8": "Byte", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
            "bfloat16": "BFloat16"}[d.name]  # fmt: skip


def _inplace(opdef: OpDef) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        check_inplace(self)
        return assign(self, dispatch(opdef, (self, *args), kwargs))

    return method


def index_key(key: Any) -> Any:
    """An indexing key with boolean masks as integer indices (their shape depends on values,
    so they are resolved here, eagerly, as torch does) and lists as index tensors."""
    parts = key if isinstance(key, tuple) else (key,)
    out: list[Any] = []
    for p in parts:
        if isinstance(p, list):
            p = Tensor._from_array(jnp.asarray(np.asarray(p)))
        if isinstance(p, Tensor) and p.dtype in (_dtype.bool_, _dtype.uint8):
            out.extend(Tensor._from_array(jnp.asarray(i, jnp.int64))
                       for i in np.nonzero(np.asarray(p._data)))  # fmt: skip
        elif isinstance(p, (bool,)):
            out.append(None) if p else out.extend([None, Tensor._from_array(jnp.zeros((0,), jnp.int64))])
        else:
            out.append(p)
    return tuple(out) if isinstance(key, tuple) or len(out) != 1 else out[0]


def _getitem(self: Tensor, key: Any) -> Tensor:
    return dispatch(OPS["getitem"], (self, index_key(key)), {})


def _setitem(self: Tensor, key: Any, value: Any) -> None:
    if self.is_leaf and self.requires_grad and is_grad_enabled():
        raise RuntimeError(_errors.VIEW_OF_LEAF_INPLACE)
    assign(self, dispatch(OPS["setitem"], (self, index_key(key), value), {}))


def _to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Same as `Tensor.to`: dtype and/or device ("cpu" only until devices land)."""
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    for a in args:
        if isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
    if dtype is None or (dtype is self.dtype and not copy):
        return self
    return dispatch(OPS["to_dtype"], (self, dtype), {})


def _cast_method(d: _dtype.dtype) -> Callable[[Tensor], Tensor]:
    def method(self: Tensor, memory_format: Any = None) -> Tensor:
        return _to(self, d)

    return method


def _self(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    return self


def _new_factory(name: str) -> Callable[..., Tensor]:
    def method(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:  # fmt: skip
        from . import _creation

        factory = getattr(_creation, name)
        return factory(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    return method


def _new_tensor(self: Tensor, data: Any, dtype: Any = None, device: Any = None,
                requires_grad: bool = False) -> Tensor:  # fmt: skip
    from ._creation import tensor

    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new_full(self: Tensor, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:  # fmt: skip
    from ._creation import full

    return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _zero_(self: Tensor) -> Tensor:
    check_inplace(self)
    return assign(self, dispatch(OPS["mul"], (self, 0), {}))


def _fill_(self: Tensor, value: Any) -> Tensor:
    check_inplace(self)
    return assign(self, dispatch(OPS["masked_fill"], (self, Tensor._from_array(
        jnp.ones((), bool)), value), {}))  # fmt: skip


@property  # type: ignore[misc]
def _T(self: Tensor) -> Tensor:  # noqa: N802
    return dispatch(OPS["permute"], (self, tuple(reversed(range(self.ndim)))), {})


@property  # type: ignore[misc]
def _mT(self: Tensor) -> Tensor:  # noqa: N802
    return dispatch(OPS["transpose"], (self, -2, -1), {})


def bind() -> None:
    for opdef in OPS.values():
        for ns in opdef.namespaces:
            for name in (opdef.name, *opdef.aliases):
                NAMESPACES[ns][name] = _function(opdef)
        if opdef.method:
            setattr(Tensor, opdef.method, _method(opdef))
            for alias in opdef.aliases:
                setattr(Tensor, alias, _method(opdef))
        if opdef.inplace:
            setattr(Tensor, opdef.inplace, _inplace(opdef))
            for alias in opdef.aliases:
                setattr(Tensor, alias + "_", _inplace(opdef))
        for dunder in opdef.operators:
            reflected = dunder.startswith("__r") and dunder not in ("__rshift__",)
            setattr(Tensor, dunder, _reflected(opdef) if reflected else _method(opdef))
            if dunder in _INPLACE_DUNDERS:
                setattr(Tensor, _INPLACE_DUNDERS[dunder], _inplace(opdef))
    extras: dict[str, Any] = {
        "__getitem__": _getitem, "__setitem__": _setitem, "to": _to, "T": _T, "mT": _mT,
        "float": _cast_method(_dtype.float32), "double": _cast_method(_dtype.float64),
        "half": _cast_method(_dtype.float16), "bfloat16": _cast_method(_dtype.bfloat16),
        "long": _cast_method(_dtype.int64), "int": _cast_method(_dtype.int32),
        "short": _cast_method(_dtype.int16), "bool": _cast_method(_dtype.bool_),
        "byte": _cast_method(_dtype.uint8), "char": _cast_method(_dtype.int8),
        "cfloat": _cast_method(_dtype.complex64), "cdouble": _cast_method(_dtype.complex128),
        "contiguous": _self, "cpu": _self, "new_zeros": _new_factory("zeros"),
        "new_ones": _new_factory("ones"), "new_empty": _new_factory("empty"),
        "new_tensor": _new_tensor, "new_full": _new_full, "zero_": _zero_, "fill_": _fill_,
        "view_as": lambda self, other: self.view(other.shape),
        "reshape_as": lambda self, other: self.reshape(other.shape),
        "type_as": lambda self, other: _to(self, other.dtype),
    }  # fmt: skip
    for name, fn in extras.items():
        setattr(Tensor, name, fn)
