"""torch devices on JAX devices: "cpu", "cuda", "cuda:N", "tpu" name `jax.devices()`.

Note [Devices]: a tensor lives where its array lives. Creation functions and `.to(device)`
put arrays on the JAX device a torch device names (`jax.device_put`, a recorded op for
`.to`, so gradients flow back); everything else follows JAX: ops run where their inputs
are, and a sharded `jax.Array` (a `NamedSharding` over a `Mesh`) stays sharded, so XLA's
SPMD partitioner splits the work, gradients included. Tensors placed explicitly on two
different devices in one op get torch's error.
"""

from __future__ import annotations

from typing import Any

import jax


class device:  # noqa: N801 - torch's name
    """Same as `torch.device`: a type ("cpu", "cuda", "tpu") and an optional index."""

    __slots__ = ("type", "index")

    def __init__(self, type: str = "cpu", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        if ":" in type:
            type, idx = type.split(":")
            index = int(idx)
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        # torch: torch.device("cpu") == "cpu" is False; only devices compare equal.
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")

# torch device type -> JAX platform
_PLATFORMS = {"cpu": "cpu", "cuda": "gpu", "tpu": "tpu"}
# Set once a tensor is put on a device other than the default: until then dispatch never
# compares devices (See `check_same_device`).
placed = False


def _devices(platform: str) -> list[Any]:
    try:
        return list(jax.devices(platform))
    except RuntimeError:  # no such backend here
        return []


def available() -> list[str]:
    """The torch names of every device JAX has, e.g. ['cpu'] or ['cuda:0', 'cuda:1', 'cpu']."""
    names = []
    for platform in ("gpu", "tpu", "cpu"):
        names += [str(torch_device(d)) for d in _devices(platform)]
    return names


def parse(spec: Any) -> device:
    """A torch device from "cuda:1", device("cuda", 1) or an int (a CUDA index, as torch)."""
    if isinstance(spec, device):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):
        return device("cuda", spec)
    if not isinstance(spec, str):
        raise TypeError(f"Expected a device (str, int or torch.device), got {type(spec).__name__}")
    d = device(spec)
    if d.type not in _PLATFORMS:
        raise RuntimeError(
            "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, "
            "maia, xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at start "
            f"of device string: {d.type}")
    return d


def jax_device(spec: Any) -> Any:
    """The JAX device a torch device names, or an error that lists the devices there are."""
    d = parse(spec)
    found = _devices(_PLATFORMS[d.type])
    index = d.index or 0
    if index >= len(found):
        raise RuntimeError(
            f"device '{d}' is not available: JAX has no {_PLATFORMS[d.type]} device "
            f"{index} here. Available devices: {', '.join(available())}. (For 'cuda', install "
            "JAX's CUDA build: pip install 'jax[cuda12]'.)")
    return found[index]


def torch_device(jdev: Any) -> device:
    """The torch device for a JAX device (CPU device 0 is plain "cpu", as in torch)."""
    if jdev.platform == "cpu":
        return device("cpu") if jdev.id == 0 else device("cpu", jdev.id)
    if jdev.platform == "gpu" or jdev.platform == "cuda":
        return device("cuda", jdev.id)
    return device(jdev.platform, jdev.id)


def of_array(array: Any) -> device:
    """Where an array lives: its first device (a sharded array spans several)."""
    if array is None or isinstance(array, jax.core.Tracer):
        return torch_device(jax.devices()[0])
    devices = sorted(array.devices(), key=lambda d: d.id)
    return torch_device(devices[0])


def note_placed(jdev: Any) -> None:
    """An array is going to a device other than the default: dispatch compares devices."""
    global placed
    if jdev != jax.devices()[0]:
        placed = True


def put(array: Any, spec: Any) -> Any:
    """`array` on the device `spec` names (no copy when it is there already)."""
    target = jax_device(spec)
    note_placed(target)
    return jax.device_put(array, target)


def check_same_device(arrays: list[Any]) -> None:
    """torch's error for one op over tensors placed on two devices (committed arrays)."""
    seen = None
    for a in arrays:
        if a is None or isinstance(a, jax.core.Tracer) or not getattr(a, "committed", False):
            continue
        devices = a.devices()
        if len(devices) != 1:
            continue  # sharded: XLA decides
        (d,) = devices
        if seen is None:
            seen = d
        elif d != seen:
            raise RuntimeError(
                "Expected all tensors to be on the same device, but found at least two devices, "
                f"{torch_device(seen)} and {torch_device(d)}!")


class _Cuda:
    """Same as `torch.cuda` (availability and counts; the devices are JAX's GPUs)."""

    @staticmethod
    def is_available() -> bool:
        return bool(_devices("gpu"))

    @staticmethod
    def device_count() -> int:
        return len(_devices("gpu"))

    @staticmethod
    def current_device() -> int:
        return 0

    @staticmethod
    def manual_seed(seed: int) -> None:
        from ._creation import manual_seed

        manual_seed(seed)

    manual_seed_all = manual_seed

    @staticmethod
    def synchronize(device: Any = None) -> None:
        for d in _devices("gpu"):
            jax.device_put(0, d).block_until_ready()


cuda = _Cuda()
