"""Creation functions and the random generator; every tensor made here is a leaf.

`tensor()` follows torch/csrc/utils/tensor_new.cpp (`internal_new_from_data`): the shape
comes from the first element at each depth (`compute_sizes`), the dtype from every element
(`infer_scalar_type`), and each element is converted as `store_scalar` does, with torch's
errors for ragged data, strings, overflow and complex-to-real.
"""

from __future__ import annotations

import contextlib
import functools
import math
import operator
import threading
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _device, _dtype, _errors, _lazy
from ._dtype import dtype as Dtype
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


def _size(name: str, size: tuple[Any, ...]) -> tuple[int, ...]:
    """A size given as varargs or one sequence, with torch's argument-parser errors."""
    one_sequence = len(size) == 1 and isinstance(size[0], (tuple, list))
    dims = tuple(size[0]) if one_sequence else size
    for i, s in enumerate(dims):
        if isinstance(s, bool) or not isinstance(s, (int, np.integer, Tensor)):
            if len(size) == 1 and not one_sequence:
                raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, "
                                f"not {type(s).__name__}")  # fmt: skip
            raise TypeError(
                f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                f"\"type must be tuple of ints,but got {type(s).__name__}\"")
    out = tuple(operator.index(s) for s in dims)
    for s in out:
        if s < 0:
            if name == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(out)}")
    return out


def _filled(shape: tuple[int, ...], value: Any, d: Dtype, requires_grad: bool) -> Tensor:
    """A filled leaf, pending (See Note [Deferred values] in _lazy.py): no device work until
    it is looked at, and a constant inside the program that computes it."""
    return _pending_leaf(_lazy.filled(shape, value, d.np), d, requires_grad)


def _pending_leaf(value: Any, d: Dtype, requires_grad: bool) -> Tensor:
    t = Tensor._from_value(value)
    if requires_grad:
        if not (d.is_floating_point or d.is_complex):
            raise RuntimeError(_errors.REQUIRES_GRAD_DTYPE)
        t._set_requires_grad(True)
    return t


def _factory(name: str, value: int) -> Any:
    def make(*size: Any, out: Any = None, dtype: Dtype | None = None, layout: Any = None,
             device: Any = None, requires_grad: bool = False, pin_memory: bool = False,
             memory_format: Any = None) -> Tensor:  # fmt: skip
        d = dtype or _dtype.get_default_dtype()
        return _filled(_size(name, size), value, d, requires_grad)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"Same as `torch.{name}`."
    return make


zeros = _factory("zeros", 0)
ones = _factory("ones", 1)
empty = _factory("empty", 0)  # torch leaves memory uninitialised; zeros is one valid choice


def _fill_value(name: str, fill_value: Any) -> bool | int | float | complex:
    if isinstance(fill_value, Tensor) and fill_value.ndim == 0:
        return fill_value.item()  # type: ignore[no-any-return]
    if isinstance(fill_value, np.generic) and fill_value.ndim == 0:
        return fill_value.item()  # type: ignore[no-any-return]
    if not isinstance(fill_value, _NUMBER):
        raise TypeError(f"{name}(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(fill_value).__name__}")  # fmt: skip
    return fill_value


def full(size: Any, fill_value: Any, *, dtype: Dtype | None = None, device: Any = None,
         requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    """Same as `torch.full`: the dtype follows `fill_value` when not given (1 -> int64)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError("full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")  # fmt: skip
    value = _fill_value("full", fill_value)
    d = dtype or _dtype.scalar_dtype(value)
    shape = _size("full", (size,))
    return _filled(shape, _dtype.checked_scalar(value, d), d, requires_grad)


def _input_tensor(name: str, input: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")  # fmt: skip
    return input


def _like(factory: Any, name: str) -> Any:
    def make(input: Tensor, *, dtype: Dtype | None = None, device: Any = None,
             requires_grad: bool = False, memory_format: Any = None,
             **_: Any) -> Tensor:  # fmt: skip
        input = _input_tensor(name, input)
        return factory(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"Same as `torch.{name}`."
    return make


zeros_like = _like(zeros, "zeros_like")
ones_like = _like(ones, "ones_like")
empty_like = _like(empty, "empty_like")


def full_like(input: Tensor, fill_value: Any, *, dtype: Dtype | None = None, device: Any = None,
              requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    """Same as `torch.full_like`."""
    input = _input_tensor("full_like", input)
    value = _fill_value("full_like", fill_value)
    d = dtype or input.dtype
    return _filled(tuple(input.shape), _dtype.checked_scalar(value, d), d, requires_grad)


def _number(x: Any) -> Any:
    if isinstance(x, (Tensor, np.generic)):
        return x.item()
    return x


def _c_number(x: float | int) -> str:
    """A number as C++'s ostream prints it (torch's error messages)."""
    return str(x) if isinstance(x, int) else f"{x:g}"


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Dtype | None = None,
           device: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    """Same as `torch.arange`: int64 for integer arguments, else the default dtype
    (aten/src/ATen/native/RangeFactories.cpp)."""
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    integral = all(isinstance(a, int) for a in (start, end, step))
    d = dtype or (_dtype.int64 if integral else _dtype.get_default_dtype())
    if d is _dtype.bool_ or d.is_complex:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_dtype.legacy_name(d)}'")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    is_int = not d.is_floating_point
    if is_int and int(step) == 0:
        raise ValueError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_c_number(start)} -> {_c_number(end)}")
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if d is _dtype.int64:
        xstart, xend, xstep = int(start), int(end), int(step)
        sign = 1 if xstep > 0 else -1
        span = xend - xstart + xstep - sign
        n = abs(span) // abs(xstep) * (1 if (span >= 0) == (xstep > 0) else -1)  # C division
    else:
        n = math.ceil((float(end) - float(start)) / float(step))
    n = max(0, n)
    if is_int:
        values = int(start) + int(step) * np.arange(n, dtype=np.int64)
    else:
        # torch accumulates in double for float32/float64 and in float for float16/bfloat16.
        acc = np.float64 if d.itemsize >= 4 else np.float32
        values = acc(start) + acc(step) * np.arange(n, dtype=acc)
    return _leaf(_narrow(values, d), requires_grad)


def _narrow(values: Any, d: Dtype) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):  # torch: out-of-range floats become inf
        return np.asarray(values).astype(d.np)


def _linspace_values(start: Any, end: Any, steps: int, d: Dtype) -> np.ndarray:
    """aten linspace_kernel: start + step * i for the first half, end - step * (steps - 1 - i)
    for the second, in the output precision (float for float16/bfloat16, double for ints)."""
    if d.is_complex:
        compute: Any = d.np.type
    elif d.is_floating_point:
        compute = np.float64 if d is _dtype.float64 else np.float32
    else:
        compute = np.float64
    # Scalar::to<scalar_t>: checked, so an out-of-range start or end is torch's error.
    start, end = _dtype.checked_scalar(start, d), _dtype.checked_scalar(end, d)
    if d.is_floating_point and d.itemsize < 4:
        lo = np.asarray(start, np.float32).astype(d.np).astype(np.float32)
        hi = np.asarray(end, np.float32).astype(d.np).astype(np.float32)
    else:
        lo, hi = np.asarray(start, compute), np.asarray(end, compute)
    if steps == 1:
        values = np.full((1,), lo)
    else:
        step = (hi - lo) / compute(steps - 1)
        if d.is_floating_point and d.itemsize < 4:
            step = step.astype(d.np).astype(np.float32)
        i = np.arange(steps).astype(compute)
        rev = (steps - 1 - np.arange(steps)).astype(compute)
        values = np.where(np.arange(steps) < steps // 2, lo + step * i, hi - step * rev)
    return values


def linspace(start: Any, end: Any, steps: int, *, dtype: Dtype | None = None, device: Any = None,
             requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    """Same as `torch.linspace`, computed as its CPU kernel does: from `start` for the first
    half and from `end` for the second, in the output's precision (double for integers)."""
    start, end = _number(start), _number(end)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        names = ", ".join(type(a).__name__ for a in (start, end, steps))
        raise TypeError(
            f"linspace() received an invalid combination of arguments - got ({names}), but "
            "expected one of:")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    complex_args = isinstance(start, complex) or isinstance(end, complex)
    d = dtype or (_dtype.default_complex() if complex_args else _dtype.get_default_dtype())
    if d is _dtype.bool_:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    with np.errstate(over="ignore", invalid="ignore"):  # out of range: inf, as in torch
        values = _linspace_values(start, end, steps, d)
    return _leaf(_narrow(values, d), requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Dtype | None = None, device: Any = None,
        requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    """Same as `torch.eye`."""
    for name, v, pos in (("n", n, 1), ("m", m, 2)):
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"eye(): argument '{name}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")  # fmt: skip
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    d = dtype or _dtype.get_default_dtype()
    cols = m if m is not None else n
    value = _lazy.made(("eye", n, cols, d.np), functools.partial(jnp.eye, n, cols, dtype=d.np),
                       (n, cols), d.np)
    return _pending_leaf(value, d, requires_grad)


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


def _random(name: str, kernel: str, sample: Any) -> Any:
    def make(*size: Any, generator: Generator | None = None, dtype: Dtype | None = None,
             device: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
        shape = _size(name, size)
        d = dtype or _dtype.get_default_dtype()
        if not (d.is_floating_point or d.is_complex):
            raise NotImplementedError(
                f"\"{kernel}\" not implemented for '{_dtype.legacy_name(d)}'")
        key = (generator or default_generator).next_key()
        return _leaf(sample(key, shape, d), requires_grad)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"Same as `torch.{name}` (a different stream: See `Generator`)."
    return make


def _uniform(key: jax.Array, shape: tuple[int, ...], d: Dtype) -> jax.Array:
    if d.is_complex:  # torch: real and imaginary parts each uniform on [0, 1)
        re, im = jax.random.split(key)
        real = d.to_real().np
        return jax.lax.complex(jax.random.uniform(re, shape, real),
                               jax.random.uniform(im, shape, real))  # fmt: skip
    return jax.random.uniform(key, shape, d.np)


def _normal(key: jax.Array, shape: tuple[int, ...], d: Dtype) -> jax.Array:
    # JAX, like torch, gives complex normals with variance 1/2 per part.
    return jax.random.normal(key, shape, d.np)


rand = _random("rand", "check_uniform_bounds", _uniform)
randn = _random("randn", "normal_kernel_cpu", _normal)


def randint(low: Any = 0, high: Any = None, size: Any = None, *,
            generator: Generator | None = None, dtype: Dtype | None = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Same as `torch.randint(low=0, high, size)`."""
    size_position = 3
    if size is None:
        low, high, size = 0, low, high
        size_position = 2
    for name, v, pos in (("low", low, 1), ("high", high, size_position - 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"randint(): argument '{name}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")  # fmt: skip
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position {size_position}) must be tuple of "
                        f"ints, not {type(size).__name__}")  # fmt: skip
    shape = _size("randint", (size,))
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    d = dtype or _dtype.int64
    if d is _dtype.bool_ and high > 2:
        raise RuntimeError("to - 1 is out of bounds for bool")
    key = (generator or default_generator).next_key()
    values = jax.random.randint(key, shape, int(low), int(high), jnp.int64)
    return _leaf(values.astype(d.np), requires_grad)


def rand_like(input: Tensor, *, dtype: Dtype | None = None, **kw: Any) -> Tensor:
    """Same as `torch.rand_like`."""
    input = _input_tensor("rand_like", input)
    return rand(*input.shape, dtype=dtype or input.dtype, **kw)


def randn_like(input: Tensor, *, dtype: Dtype | None = None, **kw: Any) -> Tensor:
    """Same as `torch.randn_like`."""
    input = _input_tensor("randn_like", input)
    return randn(*input.shape, dtype=dtype or input.dtype, **kw)


def randperm(n: int, *, generator: Generator | None = None, dtype: Dtype | None = None,
             device: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    """Same as `torch.randperm`."""
    (count,) = _size("randperm", (n,))
    key = (generator or default_generator).next_key()
    d = dtype or _dtype.int64
    return _leaf(jax.random.permutation(key, count).astype(d.np), requires_grad)


# --- devices: See Note [Devices] in _device.py --------------------------------

def _placed(factory: Any) -> Any:
    """`factory` with its `device=` honoured: the new leaf's array on that JAX device."""

    @functools.wraps(factory)
    def make(*args: Any, device: Any = None, **kwargs: Any) -> Tensor:
        t = factory(*args, **kwargs)
        if device is None:
            return t
        target = _device.jax_device(device)
        if _device.torch_device(target) == t.device:
            return t
        _device.note_placed(target)
        out = Tensor._from_array(jax.device_put(t._value.data, target))
        if t.requires_grad:
            out._set_requires_grad(True)
        return out

    return make


for _name in ("tensor", "as_tensor", "zeros", "ones", "empty", "full", "zeros_like", "ones_like",
              "empty_like", "full_like", "arange", "linspace", "eye", "rand", "randn", "randint",
              "rand_like", "randn_like", "randperm"):  # fmt: skip
    globals()[_name] = _placed(globals()[_name])
