"""Creation functions and the random generator; every tensor made here is a leaf."""

from __future__ import annotations

import math
import threading
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype, _errors
from ._dtype import dtype as Dtype
from ._tensor import Tensor

_NUMBER = (bool, int, float, complex)


def _leaf(array: Any, requires_grad: bool) -> Tensor:
    t = Tensor._from_array(jnp.asarray(array))
    if requires_grad:
        if not (t.dtype.is_floating_point or t.dtype.is_complex):
            raise RuntimeError(_errors.REQUIRES_GRAD_DTYPE)
        t._value.requires_grad = True
    return t


def _infer_dtype(data: Any) -> Dtype:
    """torch.tensor's dtype for nested Python data (floats -> default dtype, ints -> int64)."""
    kinds = set()

    def walk(x: Any) -> None:
        if isinstance(x, Tensor):
            kinds.add(x.dtype)
        elif isinstance(x, (np.ndarray, np.generic, jax.Array)):
            kinds.add(_dtype.from_np(x.dtype))
        elif isinstance(x, _NUMBER):
            kinds.add(_dtype.scalar_dtype(x))
        else:
            for item in x:
                walk(item)

    walk(data)
    if not kinds:
        return _dtype.get_default_dtype()
    out = kinds.pop()
    for d in kinds:
        out = _dtype.promote_types(out, d)
    return out


def _to_numpy(data: Any) -> Any:
    if isinstance(data, Tensor):
        return np.asarray(data._data)
    if isinstance(data, (list, tuple)):
        return [_to_numpy(x) for x in data]
    return data


def tensor(data: Any, *, dtype: Dtype | None = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:  # fmt: skip
    """Same as `torch.tensor`: copies `data` into a new leaf tensor."""
    if isinstance(data, Tensor):
        d = dtype or data.dtype
        return _leaf(data._data.astype(d.np), requires_grad)
    if isinstance(data, (np.ndarray, np.generic, jax.Array)):
        d = dtype or _dtype.from_np(data.dtype)
    else:
        d = dtype or _infer_dtype(data)
    array = np.asarray(_to_numpy(data))
    if array.dtype == object:
        raise TypeError("can't convert data of mixed or unsupported types to a tensor")
    if array.dtype.kind == "c" and not d.is_complex:
        raise TypeError("can't convert complex to a real dtype")
    return _leaf(jnp.asarray(array, dtype=d.np), requires_grad)


def as_tensor(data: Any, dtype: Dtype | None = None, device: Any = None) -> Tensor:
    """Same as `torch.as_tensor` (returns `data` itself when it already fits)."""
    if isinstance(data, Tensor) and (dtype is None or dtype is data.dtype):
        return data
    return tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """Same as `torch.from_numpy` (a copy: JAX arrays are immutable)."""
    return _leaf(jnp.asarray(array), False)


def _size(size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"zeros(): argument 'size' must be tuple of ints, but found element of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


def _factory(value: Any) -> Any:
    def make(*size: Any, out: Any = None, dtype: Dtype | None = None, layout: Any = None,
             device: Any = None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:  # fmt: skip
        d = dtype or _dtype.get_default_dtype()
        return _leaf(jnp.full(_size(size), value, dtype=d.np), requires_grad)

    return make


zeros = _factory(0)
ones = _factory(1)
empty = _factory(0)  # torch leaves memory uninitialised; zeros is one valid choice


def full(size: Any, fill_value: Any, *, dtype: Dtype | None = None, device: Any = None,
         requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    """Same as `torch.full`: the dtype follows `fill_value` when not given."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    d = dtype or _dtype.scalar_dtype(fill_value)
    return _leaf(jnp.full(_size((size,) if isinstance(size, int) else tuple(size)), fill_value,
                          dtype=d.np), requires_grad)  # fmt: skip


def _like(factory: Any) -> Any:
    def make(input: Tensor, *, dtype: Dtype | None = None, device: Any = None,
             requires_grad: bool = False, memory_format: Any = None, **_: Any) -> Tensor:  # fmt: skip
        return factory(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)

    return make


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(input: Tensor, fill_value: Any, *, dtype: Dtype | None = None, device: Any = None,
              requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    """Same as `torch.full_like`."""
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype, requires_grad=requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Dtype | None = None,
           device: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    """Same as `torch.arange`: int64 for integer arguments, else the default dtype."""
    if end is None:
        start, end = 0, start
    args = [a.item() if isinstance(a, Tensor) else a for a in (start, end, step)]
    start, end, step = args
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    d = dtype or (_dtype.int64 if all(isinstance(a, int) for a in args) else _dtype.get_default_dtype())
    n = max(0, math.ceil((end - start) / step))
    values = start + step * np.arange(n, dtype=np.float64 if d.is_floating_point else np.int64)
    return _leaf(jnp.asarray(values, dtype=d.np), requires_grad)


def linspace(start: Any, end: Any, steps: int, *, dtype: Dtype | None = None, device: Any = None,
             requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    """Same as `torch.linspace`."""
    d = dtype or _dtype.get_default_dtype()
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    values = np.linspace(float(start), float(end), steps, dtype=np.float64)
    if d.is_floating_point:
        # torch computes the two halves from each end (symmetric rounding).
        step = (float(end) - float(start)) / (steps - 1) if steps > 1 else 0.0
        i = np.arange(steps)
        half = steps // 2
        values = np.where(i < half, float(start) + step * i, float(end) - step * (steps - 1 - i))
    return _leaf(jnp.asarray(values, dtype=d.np), requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Dtype | None = None, device: Any = None,
        requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    """Same as `torch.eye`."""
    d = dtype or _dtype.get_default_dtype()
    return _leaf(jnp.eye(n, m if m is not None else n, dtype=d.np), requires_grad)


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
        with self._lock:
            self._key, sub = jax.random.split(self._key)
        return sub

    def get_state(self) -> Tensor:
        return Tensor._from_array(jax.random.key_data(self._key))

    def set_state(self, state: Tensor) -> None:
        self._key = jax.random.wrap_key_data(state._data)


default_generator = Generator()


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


def _random(sample: Any) -> Any:
    def make(*size: Any, generator: Generator | None = None, dtype: Dtype | None = None,
             device: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
        d = dtype or _dtype.get_default_dtype()
        key = (generator or default_generator).next_key()
        return _leaf(sample(key, _size(size), d.np), requires_grad)

    return make


rand = _random(lambda key, shape, d: jax.random.uniform(key, shape, d))
randn = _random(lambda key, shape, d: jax.random.normal(key, shape, d))


def randint(low: int, high: Any = None, size: Any = None, *, generator: Generator | None = None,
            dtype: Dtype | None = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Same as `torch.randint(low=0, high, size)`."""
    if size is None:
        low, high, size = 0, low, high
    key = (generator or default_generator).next_key()
    d = dtype or _dtype.int64
    return _leaf(jax.random.randint(key, tuple(size), low, high, jnp.int64).astype(d.np), requires_grad)


def rand_like(input: Tensor, *, dtype: Dtype | None = None, **kw: Any) -> Tensor:
    return rand(*input.shape, dtype=dtype or input.dtype, **kw)


def randn_like(input: Tensor, *, dtype: Dtype | None = None, **kw: Any) -> Tensor:
    return randn(*input.shape, dtype=dtype or input.dtype, **kw)


def randperm(n: int, *, generator: Generator | None = None, dtype: Dtype | None = None, **_: Any) -> Tensor:
    key = (generator or default_generator).next_key()
    return _leaf(jax.random.permutation(key, n).astype((dtype or _dtype.int64).np), False)
