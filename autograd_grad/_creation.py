"""Creation functions and the random generator; every tensor made here is a leaf.

`tensor()` follows torch/csrc/utils/tensor_new.cpp (`internal_new_from_data`): the shape
comes from the first element at each depth (`compute_sizes`), the dtype from every element
(`infer_scalar_type`), and each element is converted as `store_scalar` does, with torch's
errors for ragged data, strings, overflow and complex-to-real.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import operator
import threading
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _device, _dtype, _errors
from ._dispatch import dispatch
from ._dtype import dtype as Dtype
from ._ops import OPS, OpDef
from ._ops.creation import Creation
from ._tensor import Tensor, warn_once

_NUMBER = (bool, int, float, complex)
_COPY_CONSTRUCT = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
    "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor)."
)
_MAX_DIMS = 64
_LIST_OF_ARRAYS = (
    "Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider "
    "converting the list to a single numpy.ndarray with numpy.array() before converting to a "
    "tensor."
)


def _leaf(array: Any, requires_grad: bool) -> Tensor:
    t = Tensor._from_array(_dtype.to_device(array))
    if requires_grad:
        if not (t.dtype.is_floating_point or t.dtype.is_complex):
            raise RuntimeError(_errors.REQUIRES_GRAD_DTYPE)
        t._set_requires_grad(True)
    return t


def _type_name(x: Any) -> str:
    cls = type(x)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


def _array_dtype(array: Any) -> Dtype:
    """The dtype of a numpy/JAX array, with torch's error for the ones it cannot hold."""
    try:
        return _dtype.from_np(array.dtype)
    except TypeError:
        name = np.dtype(array.dtype).type.__name__
        if name in ("uint16", "uint32", "uint64"):  # torch has them; there are none here
            raise TypeError(f"autograd_grad has no {name} dtype (torch.{name} is not supported); "
                            "convert the array to int32 or int64 first") from None  # fmt: skip
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{name}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, "
            "uint32, uint16, uint8, and bool.") from None


def _check_byte_order(array: np.ndarray) -> None:
    if not array.dtype.isnative:
        raise ValueError(
            "given numpy array has byte order different from the native byte order. Conversion "
            "between byte orders is currently not supported.")


def _cast_array(array: Any, d: Dtype) -> jax.Array:
    """An array converted to `d`, warning as torch's copy_ does when it drops imaginary parts."""
    if isinstance(array, jax.Array):  # on the device already
        if jnp.iscomplexobj(array) and not d.is_complex:
            warn_once(_errors.COMPLEX_TO_REAL, stacklevel=4)
            array = jnp.real(array)
        return array if array.dtype == d.np else array.astype(d.np)
    array = np.asarray(array)
    if np.iscomplexobj(array) and not d.is_complex:
        warn_once(_errors.COMPLEX_TO_REAL, stacklevel=4)
        array = array.real
    with np.errstate(over="ignore", invalid="ignore"):  # torch: out of range becomes inf
        return _dtype.to_device(array.astype(d.np, copy=False))


def _is_sequence(x: Any) -> bool:
    """Python's PySequence_Check, as torch uses it (a Tensor is not a sequence there)."""
    if isinstance(x, (list, tuple, range, str, np.ndarray, jax.Array)):
        return True
    if isinstance(x, (Tensor, Mapping, np.generic, *_NUMBER)):
        return False
    return hasattr(type(x), "__getitem__") and hasattr(type(x), "__len__")


def _compute_sizes(data: Any) -> list[int]:
    sizes: list[int] = []
    seq = data
    while _is_sequence(seq):
        n = len(seq)
        sizes.append(n)
        if len(sizes) > _MAX_DIMS:
            raise ValueError(f"too many dimensions '{type(seq).__name__}'")
        if n == 0:
            break
        seq = seq[0]
    return sizes


def _infer_scalar_type(x: Any) -> Dtype:
    if isinstance(x, (np.ndarray, np.generic, jax.Array)):  # numpy.float64 keeps its dtype
        return _array_dtype(x)
    if isinstance(x, float):
        return _dtype.get_default_dtype()
    if isinstance(x, bool):
        return _dtype.bool_
    if isinstance(x, int):
        return _dtype.int64
    if isinstance(x, complex):
        return _dtype.default_complex()
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, str):
        raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    if _is_sequence(x):
        kinds = {type(item) for item in x} if isinstance(x, list) else None
        if kinds is not None and kinds and kinds <= {int}:  # the common case, fast
            return _dtype.int64
        if kinds is not None and kinds and kinds <= {int, float}:
            return _dtype.get_default_dtype()
        out: Dtype | None = None
        for item in x:
            if item is x:
                raise TypeError("new(): self-referential lists are incompatible")
            d = _infer_scalar_type(item)
            out = d if out is None else _dtype.promote_types(out, d)
            if out is _dtype.complex128:
                return out
        return out if out is not None else _dtype.get_default_dtype()
    raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")


def _flatten(obj: Any, sizes: list[int], dim: int, out: list[Any]) -> None:
    """torch's recursive_store walk: every element at the depth of `sizes`, lengths checked."""
    if dim == len(sizes):
        out.append(obj)
        return
    if not _is_sequence(obj):
        raise TypeError("not a sequence")
    items = list(obj)
    n = sizes[dim]
    if len(items) != n:
        raise ValueError(f"expected sequence of length {n} at dim {dim} (got {len(items)})")
    if dim + 1 == len(sizes):
        out.extend(items)
        return
    for item in items:
        _flatten(item, sizes, dim + 1, out)


def _as_double(x: Any) -> float:
    # PyFloat_AsDouble: floats, then __float__, then __index__.
    if isinstance(x, (float, int)):
        return float(x)
    if isinstance(x, complex):
        raise TypeError("must be real number, not complex")
    if hasattr(type(x), "__float__"):
        return float(x)
    if hasattr(type(x), "__index__"):
        return float(operator.index(x))
    raise TypeError(f"must be real number, not {type(x).__name__}")


def _as_integer(x: Any, d: Dtype) -> int:
    # unpackIntegral: a float is truncated (overflow checked), anything else goes through
    # __index__; c10 checked_convert decides what fits.
    name = d.name
    if isinstance(x, float):
        return _dtype.checked_scalar(x, d, name)  # type: ignore[no-any-return]
    value = operator.index(x)
    if not -(2**63) <= value < 2**63:
        raise ValueError("Overflow when unpacking long long")
    return _dtype.checked_scalar(value, d, name)  # type: ignore[no-any-return]


def _as_bool(x: Any) -> bool:
    if isinstance(x, (float, complex)):
        return bool(x)
    return operator.index(x) != 0


def _store(flat: list[Any], sizes: list[int], d: Dtype) -> np.ndarray:
    """The elements as a numpy array of dtype `d` (store_scalar, element by element)."""
    kinds = {type(x) for x in flat}
    if any(issubclass(k, np.generic) for k in kinds):  # numpy scalars convert as their value
        flat = [x.item() if isinstance(x, np.generic) else x for x in flat]
        kinds = {type(x) for x in flat}
    if d is _dtype.bool_:
        values: Any = [_as_bool(x) for x in flat]
    elif d.is_complex:
        values = np.array([complex(x) for x in flat], dtype=np.complex128)
    elif d.is_floating_point:
        fast = kinds <= {int, float, bool}
        values = np.array(flat if fast else [_as_double(x) for x in flat], dtype=np.float64)
        with np.errstate(over="ignore"):  # out-of-range values become inf, silently, as in torch
            if d.itemsize < 4:  # torch rounds through float, as c10::Half(float) does
                values = values.astype(np.float32)
            values = values.astype(d.np)
    elif kinds <= {int, bool}:
        try:
            values = np.array(flat, dtype=np.int64)
        except OverflowError:
            raise ValueError("Overflow when unpacking long long") from None
        info = np.iinfo(d.np)
        lowest = -int(info.max) if info.min == 0 else int(info.min)
        if values.size and (values.min() < lowest or values.max() > info.max):
            raise RuntimeError(f"value cannot be converted to type {d.name} without overflow")
    else:
        values = [_as_integer(x, d) for x in flat]
    array = np.asarray(values)
    if array.dtype != d.np:
        array = array.astype(d.np)
    return array.reshape(sizes)


def _from_data(data: Any, dtype: Dtype | None) -> jax.Array:
    """torch's internal_new_from_data: an array for `data` (a copy; See module docstring)."""
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if isinstance(data, Tensor):
        return _cast_array(data._data, dtype or data.dtype)
    if isinstance(data, (np.ndarray, jax.Array)):
        if isinstance(data, np.ndarray):
            _check_byte_order(data)
        return _cast_array(data, dtype or _array_dtype(data))
    if isinstance(data, (list, tuple)) and any(isinstance(x, np.ndarray) for x in data):
        warn_once(_LIST_OF_ARRAYS, stacklevel=4)
        same = {(x.shape, x.dtype) for x in data if isinstance(x, np.ndarray)}
        if dtype is None and len(same) == 1 and all(isinstance(x, np.ndarray) for x in data):
            return _cast_array(np.stack(data), _array_dtype(data[0]))  # the same, at numpy speed
    sizes = _compute_sizes(data)
    d = dtype or _infer_scalar_type(data)
    flat: list[Any] = []
    _flatten(data, sizes, 0, flat)
    return _dtype.to_device(_store(flat, sizes, d))


def tensor(data: Any, *, dtype: Dtype | None = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:  # fmt: skip
    """Same as `torch.tensor`: copies `data` into a new leaf tensor.

    >>> import autograd_grad as torch
    >>> torch.tensor([[1, 2], [3, 4.5]])
    tensor([[1.0000, 2.0000],
            [3.0000, 4.5000]])
    """
    if isinstance(data, Tensor):
        warnings.warn(_COPY_CONSTRUCT, UserWarning, stacklevel=2)
    return _leaf(_from_data(data, dtype), requires_grad)


def as_tensor(data: Any, *, dtype: Dtype | None = None, device: Any = None) -> Tensor:
    """Same as `torch.as_tensor`: `data` itself when it is a tensor of that dtype, a
    differentiable cast of a tensor, otherwise a new tensor (never sharing memory here)."""
    if isinstance(data, Tensor):
        return data if dtype is None or dtype is data.dtype else data.to(dtype)
    return _leaf(_from_data(data, dtype), False)


def from_numpy(array: np.ndarray) -> Tensor:
    """Same as `torch.from_numpy` (a copy: JAX arrays are immutable)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {_type_name(array)})")
    _check_byte_order(array)
    d = _array_dtype(array)
    return _leaf(np.array(array, dtype=d.np), False)


# --- the op table's creation functions: See Note [Creation ops] in _ops/creation.py ----------

_FACTORY_KEYWORDS = ("layout", "pin_memory", "memory_format")  # accepted; no effect here


def _table_function(name: str) -> Any:
    """The op table's function `name` (what `torch.<name>` is), for code that imports it
    from here."""
    opdef = OPS[name]

    def fn(*args: Any, **kwargs: Any) -> Any:
        return dispatch(opdef, args, kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Same as `torch.{name}`."
    return fn


def _scalar(x: Any) -> Any:
    # torch's argument parser reads a 0-d tensor given for a Scalar as its number.
    return x.item() if isinstance(x, Tensor) and x.ndim == 0 else x


_layouts: dict[str, tuple[tuple[str, ...], str | None]] = {}


def _layout(opdef: OpDef) -> tuple[tuple[str, ...], str | None]:
    """The implementation's positional parameter names and its *args name."""
    found = _layouts.get(opdef.name)
    if found is None:
        params = inspect.signature(opdef.impl).parameters.values()
        positional = tuple(p.name for p in params
                           if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))  # fmt: skip
        var = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), None)
        found = _layouts[opdef.name] = (positional, var)
    return found


def _has_tensor(x: Any) -> bool:
    if isinstance(x, Tensor):
        return True
    if isinstance(x, (tuple, list)):
        return any(_has_tensor(a) for a in x)
    return False


def _read_scalars(opdef: OpDef, spec: Creation, args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:  # fmt: skip
    """The tensors among the arguments where torch takes a Scalar, as Python numbers."""
    positional, var = _layout(opdef)

    def read(name: str | None, arg: Any) -> Any:
        if name in spec.operands or not _has_tensor(arg):
            return arg
        return jax.tree_util.tree_map(_scalar, arg, is_leaf=lambda a: isinstance(a, Tensor))

    args = tuple(read(positional[i] if i < len(positional) else var, a)
                 for i, a in enumerate(args))  # fmt: skip
    return args, {k: read(k, v) for k, v in kwargs.items()}


def creation_arguments(opdef: OpDef, spec: Creation, args: tuple[Any, ...],
                       kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any], Any]:  # fmt: skip
    """dispatch's arguments for a creation or random op, and what `creation_result` applies
    to its result (See Note [Creation ops] in _ops/creation.py)."""
    kwargs = dict(kwargs)
    if "size" in kwargs and not args and _layout(opdef)[1] == "size":  # zeros(size=(2, 3))
        args = (kwargs.pop("size"),)
    target = args[0] if spec.in_place else None
    leaf = (spec, kwargs.pop("requires_grad", False), kwargs.pop("device", None), target)
    for name in _FACTORY_KEYWORDS:
        kwargs.pop(name, None)
    if spec.refuses_grad and args and isinstance(args[0], Tensor) and args[0].requires_grad:
        raise RuntimeError(spec.refuses_grad)
    if _has_tensor(args) or _has_tensor(list(kwargs.values())):
        args, kwargs = _read_scalars(opdef, spec, args, kwargs)
    if spec.random:
        generator = kwargs.pop("generator", None)
        key = (generator or default_generator).next_key()
        kwargs["key"] = Tensor._from_array(jax.random.key_data(key))
    return args, kwargs, leaf


def creation_result(t: Tensor, leaf: Any) -> Any:
    """A creation op's result with torch's `requires_grad=` and `device=`; a Python number
    for an op whose result is one (item); its first argument, changed, for one that works in
    place (resize_as_)."""
    spec, requires_grad, device, target = leaf
    if spec.number:
        return t._value.data.reshape(()).item()
    if target is not None:
        from ._bind import assign

        return assign(target, t)
    if requires_grad:
        if not (t.dtype.is_floating_point or t.dtype.is_complex):
            raise RuntimeError(_errors.REQUIRES_GRAD_DTYPE)
        if t.is_leaf:
            t._set_requires_grad(True)
    return t if device is None else _on_device(t, device)


def _on_device(t: Tensor, device: Any) -> Tensor:
    """A new leaf's array on the JAX device `device` names (See Note [Devices] in _device.py)."""
    target = _device.jax_device(device)
    if _device.torch_device(target) == t.device:
        return t
    _device.note_placed(target)
    out = Tensor._from_array(jax.device_put(t._value.data, target))
    if t.requires_grad:
        out._set_requires_grad(True)
    return out


zeros = _table_function("zeros")
ones = _table_function("ones")
empty = _table_function("empty")
full = _table_function("full")
zeros_like = _table_function("zeros_like")
ones_like = _table_function("ones_like")
empty_like = _table_function("empty_like")
full_like = _table_function("full_like")
arange = _table_function("arange")
linspace = _table_function("linspace")
eye = _table_function("eye")
rand = _table_function("rand")
randn = _table_function("randn")
randint = _table_function("randint")
rand_like = _table_function("rand_like")
randn_like = _table_function("randn_like")
randperm = _table_function("randperm")


# --- random: JAX PRNG keys behind torch's stateful generator ------------------

class Generator:
    """Same role as `torch.Generator`: a stateful source of JAX PRNG keys.

    The streams differ from torch's: seeded results are reproducible here, not equal to torch's."""

    def __init__(self, device: Any = "cpu") -> None:
        self._lock = threading.Lock()
        self.manual_seed(67280421310721)

    def manual_seed(self, seed: int) -> Generator:
        with self._lock:
            self._seed = int(seed)
            self._key = jax.random.key(int(seed) % (2**63))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def next_key(self) -> jax.Array:
        rule = _vmap_random.rules[-1] if _vmap_random.rules else "same"
        if rule == "error":
            raise RuntimeError(_errors.VMAP_RANDOMNESS)
        if not isinstance(rule, str):  # inside vmap(randomness="different"): See random_keys
            rule[1] += 1
            return jax.random.fold_in(rule[0], rule[1])
        with self._lock:
            self._key, sub = jax.random.split(self._key)
        return sub

    def get_state(self) -> Tensor:
        return Tensor._from_array(jax.random.key_data(self._key))

    def set_state(self, state: Tensor) -> None:
        self._key = jax.random.wrap_key_data(state._data)


default_generator = Generator()


class _VmapRandom(threading.local):
    # innermost last: "error", "same", or [key, count] for vmap(randomness="different")
    rules: list[Any]

    def __init__(self) -> None:
        self.rules = []


_vmap_random = _VmapRandom()


@contextlib.contextmanager
def random_rule(rule: str) -> Iterator[None]:
    """Random ops inside `func.vmap(randomness=rule)`: "error" refuses them (torch's error),
    "same" draws one value for the whole batch."""
    _vmap_random.rules.append(rule)
    try:
        yield
    finally:
        _vmap_random.rules.pop()


@contextlib.contextmanager
def random_keys(key: jax.Array) -> Iterator[None]:
    """Random ops inside `func.vmap(randomness="different")`: `key` is the batch element's
    own key (a batched tracer), so every element draws its own values."""
    _vmap_random.rules.append([key, 0])
    try:
        yield
    finally:
        _vmap_random.rules.pop()


def manual_seed(seed: int) -> Generator:
    """Same as `torch.manual_seed`."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    import random

    s = random.getrandbits(63)
    default_generator.manual_seed(s)
    return s


def initial_seed() -> int:
    return default_generator.initial_seed()


# --- devices: See Note [Devices] in _device.py --------------------------------

def _placed(factory: Any) -> Any:
    """`factory` with its `device=` honoured: the new leaf's array on that JAX device."""

    @functools.wraps(factory)
    def make(*args: Any, device: Any = None, **kwargs: Any) -> Tensor:
        t = factory(*args, **kwargs)
        return t if device is None else _on_device(t, device)

    return make


tensor = _placed(tensor)
as_tensor = _placed(as_tensor)
