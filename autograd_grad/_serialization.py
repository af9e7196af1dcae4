"""Same as `torch.save` / `torch.load`, in torch's own file format, so real torch reads what
we write and we read what it writes (without importing torch).

Note [Torch's file format]: a zip archive (stored, not compressed) with, under one folder,
`data.pkl` (the object, pickled with protocol 2), `data/<key>` (each tensor's elements, raw
little-endian bytes), `byteorder`, `version` and `.format_version`. In the pickle a tensor is
`torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`, its
storage a persistent id `("storage", torch.<Type>Storage, key, "cpu", numel)`; a Parameter is
`torch._utils._rebuild_parameter(tensor, requires_grad, hooks)`. Those globals are written by
name (we have no torch objects to pickle), and read back into our tensors. Files written by
older versions of this library (a plain pickle) still load.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from . import _dtype

# torch's storage class for each dtype (torch/storage.py's legacy typed storages).
_STORAGES = {
    "float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
    "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
    "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage",
    "bool": "BoolStorage", "complex64": "ComplexFloatStorage",
    "complex128": "ComplexDoubleStorage",
}  # fmt: skip
_DTYPE_OF_STORAGE = {storage: name for name, storage in _STORAGES.items()}
_BY_NAME = {d.name: d for d in _dtype.ALL_DTYPES}
# The elements are written in this machine's byte order, which torch's format requires be
# little-endian (every platform JAX runs on).
assert sys.byteorder == "little"


class _Global:
    """A global pickled by name (`module.name`), read back as whatever load maps it to."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args: Any) -> Any:  # pickle wants reduce functions to be callable
        raise TypeError(f"{self.module}.{self.name} is only a name")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_STORAGE_GLOBALS = {name: _Global("torch", storage) for name, storage in _STORAGES.items()}


class _Storage:
    """A tensor's elements, written as `data/<key>`."""

    def __init__(self, key: str, array: np.ndarray) -> None:
        self.key, self.array = key, array


class _TorchPickler(pickle._Pickler):  # the Python pickler: it lets us write globals by name
    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file: Any, protocol: int) -> None:
        super().__init__(file, protocol)
        self.storages: list[_Storage] = []

    def _save_named_global(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[_Global] = _save_named_global

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, _Storage):
            dtype = str(obj.array.dtype)
            return ("storage", _STORAGE_GLOBALS[dtype], obj.key, "cpu", obj.array.size)
        return None

    def reducer_override(self, obj: Any) -> Any:
        from ._tensor import Tensor
        from .nn.modules import Parameter

        if not isinstance(obj, Tensor):
            return NotImplemented
        array = np.ascontiguousarray(np.asarray(obj._data))
        if str(array.dtype) not in _STORAGES:
            raise pickle.PicklingError(f"can't save a tensor of dtype {obj.dtype}")
        storage = _Storage(str(len(self.storages)), array)
        self.storages.append(storage)
        strides = tuple(s // max(array.itemsize, 1) for s in array.strides)
        if isinstance(obj, Parameter):
            plain = (_REBUILD_TENSOR, (storage, 0, tuple(array.shape), strides, False,
                                       OrderedDict()))  # fmt: skip
            return _REBUILD_PARAMETER, (_Reduced(plain), obj.requires_grad, OrderedDict())
        return _REBUILD_TENSOR, (storage, 0, tuple(array.shape), strides, obj.requires_grad,
                                 OrderedDict())  # fmt: skip


class _Reduced:
    """An already reduced object (the plain tensor inside a Parameter)."""

    def __init__(self, reduced: tuple[Any, Any]) -> None:
        self.reduced = reduced

    def __reduce__(self) -> tuple[Any, Any]:
        return self.reduced


def save(obj: Any, f: Any, pickle_module: Any = pickle, pickle_protocol: int = 2,
         **_: Any) -> None:  # fmt: skip
    """Same as `torch.save(obj, f)`: `f` is a path or a binary file; torch can load it."""
    buffer = io.BytesIO()
    pickler = _TorchPickler(buffer, pickle_protocol)
    pickler.dump(obj)
    name = "archive"
    if isinstance(f, (str, os.PathLike)):
        name = os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{name}/data.pkl", buffer.getvalue())
        z.writestr(f"{name}/.format_version", "1")
        z.writestr(f"{name}/byteorder", "little")
        for storage in pickler.storages:
            z.writestr(f"{name}/data/{storage.key}", storage.array.tobytes())
        z.writestr(f"{name}/version", "3\n")
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(out.getvalue())
    else:
        f.write(out.getvalue())


class _TorchUnpickler(pickle.Unpickler):
    def __init__(self, file: Any, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(file)
        self.archive, self.prefix = archive, prefix

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _DTYPE_OF_STORAGE:
            return _DTYPE_OF_STORAGE[name]
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch" or module.startswith("torch."):
            import autograd_grad

            target: Any = autograd_grad
            for part in [*module.split(".")[1:], name]:
                target = getattr(target, part, None)
            if target is not None:
                return target
            raise pickle.UnpicklingError(f"can't load torch's {module}.{name}")
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        kind, dtype, key, _location, numel = pid
        if kind != "storage":
            raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
        raw = self.archive.read(f"{self.prefix}data/{key}")
        return np.frombuffer(raw, dtype=_BY_NAME[dtype].np, count=numel)


def _rebuild_tensor(storage: np.ndarray, offset: int, size: Any, stride: Any,
                    requires_grad: bool, hooks: Any, metadata: Any = None) -> Any:  # fmt: skip
    from ._creation import tensor

    item = storage.itemsize
    array = np.lib.stride_tricks.as_strided(storage[offset:], tuple(size),
                                            tuple(s * item for s in stride))  # fmt: skip
    return tensor(np.array(array), requires_grad=requires_grad)


def _rebuild_parameter(data: Any, requires_grad: bool, hooks: Any) -> Any:
    from .nn.modules import Parameter

    return Parameter(data, requires_grad)


def load(f: Any, map_location: Any = None, pickle_module: Any = pickle, *,
         weights_only: bool | None = None, **_: Any) -> Any:  # fmt: skip
    """Same as `torch.load(f)`: files in torch's format, from torch or from `save`, and this
    library's older plain pickles (`map_location` moves tensors)."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            raw = fh.read()
    else:
        raw = f.read()
    if zipfile.is_zipfile(io.BytesIO(raw)):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            pkl = next(n for n in archive.namelist() if n.endswith("data.pkl"))
            prefix = pkl[: -len("data.pkl")]
            obj = _TorchUnpickler(io.BytesIO(archive.read(pkl)), archive, prefix).load()
    else:
        obj = pickle_module.loads(raw)
    if map_location is not None:
        obj = _move(obj, map_location)
    return obj


def _move(obj: Any, device: Any) -> Any:
    from ._tensor import Tensor

    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((k, _move(v, device)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(v, device) for v in obj)
    return obj
