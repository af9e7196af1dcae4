"""The Tensor handle. Methods generated from the op table are attached by `_bind`.

See Note [Values and tensors] in _core.py.
"""

from __future__ import annotations

import math
import operator
import warnings
import weakref
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype, _errors, _lazy, _views
from ._core import Node, Value, is_grad_enabled
from ._device import device, of_array


class Size(tuple):  # type: ignore[type-arg]
    """Same as `torch.Size`: a tuple of ints printed as `torch.Size([2, 3])`; slicing,
    `+` and `*` give a Size again."""

    def __new__(cls, sizes: Any = ()) -> Size:
        items = []
        for i, s in enumerate(sizes):
            if isinstance(s, Tensor) or hasattr(s, "__index__"):
                items.append(operator.index(s))
            else:
                raise TypeError(
                    f"torch.Size() takes an iterable of 'int' (item {i} is '{type(s).__name__}')")
        return super().__new__(cls, items)

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, key: Any) -> Any:
        out = super().__getitem__(key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other: Any) -> Any:
        out = super().__add__(other)
        return Size(out) if isinstance(other, tuple) else out

    def __radd__(self, other: Any) -> Any:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n: Any) -> Size:
        return Size(super().__mul__(n))

    __rmul__ = __mul__

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))




class Tensor:
    """Same as `torch.Tensor`: a mutable handle to a `Value` of the recorded graph."""

    __slots__ = ("_value", "_grad", "_retains_grad", "__weakref__", "__dict__")
    __array_priority__ = 1000  # numpy defers to our operators
    is_sparse = False  # dense only, as a torch strided tensor
    _view = None  # a views' View(base, steps): See Note [Views] in _views.py

    def _counter(self) -> Tensor:
        view = self._view
        return self if view is None or _views.DATA in view.steps else view.base

    @property
    def _version(self) -> int:
        """In-place modifications so far, shared by a base and its views (not .data)."""
        return self._counter().__dict__.get("_version_count", 0)

    @_version.setter
    def _version(self, count: int) -> None:
        self._counter().__dict__["_version_count"] = count

    @property
    def _base(self) -> Tensor | None:
        """Same as torch's `Tensor._base`: the tensor this view reads, else None."""
        view = self._view
        return None if view is None or _views.hidden(view.steps) else view.base

    _value: Value

    @classmethod
    def _from_value(cls, value: Value) -> Tensor:
        t = cls.__new__(cls)
        t._value = value
        if value._data is None:
            _lazy.track(t)
        if value.requires_grad and value.node is None:
            value.owner = weakref.ref(t)  # See Note [Owners] in _core.py
        t._grad = None
        t._retains_grad = False
        return t

    def _set_value(self, value: Value) -> None:
        """Point this handle at another value (in-place ops: See Note [Values and tensors])."""
        if self._value.hooks and value.node is None:  # a leaf keeps its hooks
            value.hooks = self._value.hooks
        self._value = value
        if value._data is None:
            _lazy.track(self)
        if (value.requires_grad and value.node is None) or self._retains_grad:
            value.owner = weakref.ref(self)

    @classmethod
    def _from_array(cls, array: jax.Array, requires_grad: bool = False) -> Tensor:
        return cls._from_value(Value(array, requires_grad=requires_grad))

    # --- what the handle points to ------------------------------------------
    @property
    def _data(self) -> jax.Array:
        return self._value.data

    @property
    def shape(self) -> Size:
        return tuple.__new__(Size, self._value.shape)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        return self.shape[_errors.wrap_dim(dim, self.ndim)]

    @property
    def ndim(self) -> int:
        return len(self._value.shape)

    def dim(self) -> int:
        return self.ndim

    ndimension = dim

    def numel(self) -> int:
        return math.prod(self._value.shape)

    nelement = numel

    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype.from_np(self._value.dtype)

    @property
    def device(self) -> device:
        return of_array(self._value._data)  # See Note [Devices] in _device.py

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_floating_point_(self) -> bool:
        return self.dtype.is_floating_point

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def element_size(self) -> int:
        return self.dtype.itemsize

    # --- autograd attributes -------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._value.requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        # torch/csrc/autograd/python_variable.cpp, THPVariable_set_requires_grad
        if not isinstance(flag, bool):
            raise RuntimeError(_errors.REQUIRES_GRAD_NOT_BOOL)
        if not self.is_leaf:
            raise RuntimeError(
                _errors.NON_LEAF_REQUIRES_GRAD_TRUE if flag else _errors.NON_LEAF_REQUIRES_GRAD)
        if flag and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError(_errors.REQUIRES_GRAD_DTYPE_SETTER)
        self._set_requires_grad(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Same as `Tensor.requires_grad_` (torch/csrc/autograd/VariableTypeManual.cpp)."""
        if not isinstance(requires_grad, bool):
            raise TypeError(
                "requires_grad_(): argument 'requires_grad' (position 1) must be bool, not "
                f"{type(requires_grad).__name__}")
        if not self.is_leaf:
            if not requires_grad:
                raise RuntimeError(_errors.NON_LEAF_REQUIRES_GRAD)
            return self
        if requires_grad and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError(_errors.REQUIRES_GRAD_DTYPE_METHOD)
        self._set_requires_grad(requires_grad)
        return self

    def _set_requires_grad(self, flag: bool) -> None:
        """A leaf's flag; the leaf's `.grad` is this tensor's (See Note [Owners] in _core.py)."""
        self._value.requires_grad = flag
        self._value.owner = weakref.ref(self)

    @property
    def is_leaf(self) -> bool:
        return self._value.node is None

    @property
    def grad_fn(self) -> Node | None:
        return self._value.node

    @property
    def output_nr(self) -> int:
        return self._value.index

    @property
    def grad(self) -> Tensor | None:
        if not self.is_leaf and not self._retains_grad:
            warnings.warn(_errors.NON_LEAF_GRAD_ACCESS, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        # torch/csrc/autograd/python_variable.cpp, THPVariable_set_grad
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(_errors.GRAD_ASSIGN_TYPE.format(type(value).__name__))
            if value.dtype is not self.dtype:
                raise RuntimeError(_errors.GRAD_ASSIGN_DTYPE.format(
                    _errors.CPP_TYPE_NAMES[value.dtype.name], _dtype.legacy_name(self.dtype)))
            if value.shape != self.shape:
                raise RuntimeError(_errors.GRAD_ASSIGN_SIZE.format(
                    list(value.shape), list(self.shape)))
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook: Any) -> Any:
        """Same as `Tensor.register_hook`: `hook(grad)` runs when this tensor's gradient is
        computed and may return a replacement; returns a handle with `remove()`."""
        from . import _core

        if not self.requires_grad:
            raise RuntimeError(_errors.HOOK_NO_GRAD)
        if self._value.hooks is None:
            self._value.hooks = []
        self._value.hooks.append(hook)
        _core.hooks_registered = True
        return _core.RemovableHandle(self._value.hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """Same as `Tensor.register_post_accumulate_grad_hook`: `hook(tensor)` runs after
        backward() has accumulated into this leaf's `.grad`."""
        from . import _core

        if not self.requires_grad:
            raise RuntimeError(_errors.HOOK_NO_GRAD)
        if not self.is_leaf:
            raise RuntimeError(_errors.POST_ACCUMULATE_NON_LEAF)
        hooks = self.__dict__.setdefault("_post_accumulate_hooks", [])
        hooks.append(hook)
        return _core.RemovableHandle(hooks, hook)

    def retain_grad(self) -> None:
        """Same as `Tensor.retain_grad`: a non-leaf tensor's `.grad` is filled by backward()."""
        if not self.requires_grad:
            raise RuntimeError(_errors.RETAIN_GRAD_NO_GRAD)
        if self.is_leaf or self._retains_grad:
            return
        self._retains_grad = True
        self._value.owner = weakref.ref(self)

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:  # fmt: skip
        """Same as `Tensor.backward`: accumulates this tensor's gradient into the `.grad`
        of the leaves behind it (or of `inputs`)."""
        from ._engine import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    @property
    def data(self) -> Tensor:
        return _views.detached(self, Tensor._from_value(self._value.with_graph()), _views.DATA)

    @data.setter
    def data(self, other: Tensor) -> None:
        self._set_value(other._value.with_graph(self._value.node, self._value.index,
                                                self._value.requires_grad))  # fmt: skip

    def detach(self) -> Tensor:
        return _views.detached(self, Tensor._from_value(self._value.with_graph()))

    def detach_(self) -> Tensor:
        self._set_value(self._value.with_graph())
        return self

    # --- leaving the graph ---------------------------------------------------
    def tolist(self) -> Any:
        return np.asarray(self._value.data).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError(_errors.NUMPY_REQUIRES_GRAD)
        return np.asarray(self._value.data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # torch/_tensor.py: __array__ is self.numpy(), so it refuses tensors requiring grad.
        if self.requires_grad:
            raise RuntimeError(_errors.NUMPY_REQUIRES_GRAD)
        a = np.asarray(self._value.data)
        return a.astype(dtype) if dtype is not None else a

    def __jax_array__(self) -> jax.Array:
        return self._value.data

    def to_jax(self) -> jax.Array:
        """The JAX array this tensor holds (no copy; sharding and device as they are)."""
        return self._value.data

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        if self.requires_grad:
            raise RuntimeError(_errors.DLPACK_REQUIRES_GRAD)
        return self._value.data.__dlpack__(*args, **kwargs)

    def _repr_html_(self) -> str:
        """Notebooks: torch's text, as a preformatted block."""
        import html

        return f"<pre>{html.escape(repr(self))}</pre>"

    def __dlpack_device__(self) -> Any:
        return self._value.data.__dlpack_device__()

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(_errors.BOOL_EMPTY if self.numel() == 0 else _errors.BOOL_AMBIGUOUS)
        return bool(self._value.data.reshape(()))

    def _scalar(self, ctype: str) -> Any:
        """The single element as a Python number (torch's `dispatch_to<T>`)."""
        if self.numel() != 1:
            raise ValueError(_errors.ONE_ELEMENT_SCALAR)
        value = self._value.data.reshape(()).item()
        if isinstance(value, complex):
            if value.imag != 0:
                raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
            value = value.real
        return value

    def __float__(self) -> float:
        if self.requires_grad and is_grad_enabled():  # torch: TORCH_WARN_ONCE, in grad mode
            warn_once(_errors.SCALAR_REQUIRES_GRAD, stacklevel=3)
        return float(self._scalar("double"))

    def __int__(self) -> int:
        return int(self._scalar("int64_t"))

    def __complex__(self) -> complex:
        if self.numel() != 1:
            raise ValueError(_errors.ONE_ELEMENT_SCALAR)
        return complex(self._value.data.reshape(()).item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.dtype.is_complex or self.numel() != 1:
            raise TypeError(_errors.INDEX_CONVERSION)
        return int(self.item())

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Any:
        # torch/_tensor.py: iter(self.unbind(0)), so the rows' grad_fn is UnbindBackward0.
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __pos__(self) -> Tensor:
        # torch: Tensor.positive returns self, and refuses bool tensors.
        if self.dtype.name == "bool":
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        return self

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from ._printing import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        # torch/_tensor.py: 0-d tensors format their item; others only with an empty spec.
        if self.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild, (np.asarray(self._value.data), self.requires_grad))

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        if not self.is_leaf:
            raise RuntimeError(_errors.DEEPCOPY_NON_LEAF)
        t = Tensor._from_array(self._value.data, self.requires_grad)
        memo[id(self)] = t
        return t

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """Same as `Tensor.type`: the legacy type name, or a cast to a dtype or type name."""
        if dtype is None:
            return _LEGACY_TYPE_NAMES.get(self.dtype.name, "torch.Tensor")
        if isinstance(dtype, str):
            by_name = {v: k for k, v in _LEGACY_TYPE_NAMES.items()}
            if dtype not in by_name:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = _dtype_by_name(by_name[dtype])
        return self.to(dtype)


_LEGACY_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
                      "float16": "torch.HalfTensor", "bfloat16": "torch.BFloat16Tensor",
                      "int64": "torch.LongTensor", "int32": "torch.IntTensor",
                      "int16": "torch.ShortTensor", "int8": "torch.CharTensor",
                      "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor",
                      "complex64": "torch.ComplexFloatTensor",
                      "complex128": "torch.ComplexDoubleTensor"}  # fmt: skip


def _dtype_by_name(name: str) -> _dtype.dtype:
    return next(d for d in _dtype.ALL_DTYPES if d.name == name)


def _rebuild(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor._from_array(jnp.asarray(array), requires_grad)


_warned: set[str] = set()


def warn_once(message: str, stacklevel: int = 2) -> None:
    """A UserWarning the first time only, as torch's TORCH_WARN_ONCE."""
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, UserWarning, stacklevel=stacklevel + 1)


def is_tensor(obj: Any) -> bool:
    """Same as `torch.is_tensor`."""
    return isinstance(obj, Tensor)


def grad_recording() -> bool:
    return is_grad_enabled()
