"""Fourier transforms (`torch.fft`) and complex views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype, _errors
from ._table import op

Array = jax.Array

# Note [FFT gradients]: torch's backward formulas (derivatives.yaml "_fft_r2c", "_fft_c2r",
# "_fft_c2c") are the adjoints of the transforms, with the c2r one doubling the bins that
# stand for two (all but the zero and Nyquist bins). JAX's transpose rules for its FFTs are
# the same adjoints, and the engine's conj(vjp(conj(ct))) turns them into torch's conjugate
# Wirtinger gradients (See Note [Complex gradients] in _trace.py): so every transform here
# is plain jnp.fft, after torch's own resizing of the input (crop or zero-pad).

_NORMS = ("backward", "forward", "ortho")
# The same scaling, written for the transform in the other direction.
_SWAPPED = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm: str | None) -> str:
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _wrap(dim: int, ndim: int) -> int:
    # torch: maybe_wrap_dim(..., wrap_scalar=false).
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _errors.wrap_dim(dim, ndim)


def _promote(name: str, x: Array, *, complex_input: bool) -> Array:
    """torch's promote_tensor_fft: integers to the default float dtype, then complex where the
    transform needs a complex input."""
    d = _dtype.from_np(x.dtype)
    if not (d.is_floating_point or d.is_complex):
        d = _dtype.get_default_dtype()
    if d.name in ("float16", "bfloat16"):
        raise RuntimeError(f"Unsupported dtype {_dtype.legacy_name(d)}")
    if complex_input:
        d = d.to_complex()
    return _dtype.cast(x, d)


def _resize(x: Array, dims: Sequence[int], sizes: Sequence[int]) -> Array:
    """torch's resize_fft_input: each transformed dim cropped or zero-padded to its size."""
    pad = [(0, 0)] * x.ndim
    padded = False
    for d, n in zip(dims, sizes):
        if x.shape[d] > n:
            x = jax.lax.slice_in_dim(x, 0, n, axis=d)
        elif x.shape[d] < n:
            pad[d] = (0, n - x.shape[d])
            padded = True
    return jnp.pad(x, pad) if padded else x


def _check_points(n: int) -> None:
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _shape_and_dims(x: Array, s: Sequence[int] | None,
                    dim: int | Sequence[int] | None) -> tuple[list[int], list[int]]:  # fmt: skip
    """torch's canonicalize_fft_shape_and_dim_args: (sizes, dims)."""
    if isinstance(dim, int):
        dim = [dim]
    if isinstance(s, int):
        s = [s]
    dims: list[int] = []
    if dim is not None:
        dims = [_wrap(d, x.ndim) for d in dim]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        if dim is not None and len(dim) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > x.ndim:
            raise RuntimeError(
                f"Got shape with {len(s)} values but input tensor only has {x.ndim} dimensions.")
        if dim is None:
            dims = list(range(x.ndim - len(s), x.ndim))
        sizes = [x.shape[d] if n == -1 else int(n) for d, n in zip(dims, s)]
    elif dim is None:
        dims = list(range(x.ndim))
        sizes = list(x.shape)
    else:
        sizes = [x.shape[d] for d in dims]
    for n in sizes:
        _check_points(n)
    return sizes, dims


# --- one dimension -------------------------------------------------------------------------

def _c2c_or_r2c(name: str, input: Array, n: int | None, dim: int, norm: str | None,
                inverse: bool) -> Array:  # fmt: skip
    x = _promote(name, input, complex_input=False)
    d = _wrap(dim, x.ndim)
    size = x.shape[d] if n is None else n
    _check_points(size)
    x = _resize(x, [d], [size]) if n is not None else x
    fn = jnp.fft.ifft if inverse else jnp.fft.fft
    return fn(x, axis=d, norm=_norm(norm))


def _fft1_name(kind: str) -> Any:
    def name(input: Any, *args: Any, **kwargs: Any) -> str:
        if input.dtype.is_complex:
            return "FftC2CBackward0"
        # torch: a real input runs _fft_r2c, conjugated after for the inverse transform.
        return "FftR2CBackward0" if kind == "fft" else "ConjBackward0"

    return name


def _r2c_saves(input: Any, *args: Any, **kwargs: Any) -> bool:
    # torch: _fft_r2c keeps its input for backward; _fft_c2c and _fft_c2r keep nothing.
    return not input.dtype.is_complex


@op("fft", grad_fn=_fft1_name("fft"), saves=_r2c_saves, method=False, namespaces=("fft",))
def fft(input: Array, n: int | None = None, dim: int = -1, norm: str | None = None) -> Array:
    return _c2c_or_r2c("fft", input, n, dim, norm, inverse=False)


@op("ifft", grad_fn=_fft1_name("ifft"), saves=_r2c_saves, method=False, namespaces=("fft",))
def ifft(input: Array, n: int | None = None, dim: int = -1, norm: str | None = None) -> Array:
    return _c2c_or_r2c("ifft", input, n, dim, norm, inverse=True)


def _real_only(name: str, input: Array, n_dims: bool = False) -> None:
    if jnp.iscomplexobj(input):
        what = "a real-valued input tensor" if n_dims else "a real input tensor"
        raise RuntimeError(
            f"{name} expects {what}, but got {_dtype.legacy_name(_dtype.from_np(input.dtype))}")


def _r2c(name: str, input: Array, n: int | None, dim: int, norm: str | None,
         inverse: bool) -> Array:  # fmt: skip
    _real_only(name, input)
    x = _promote(name, input, complex_input=False)
    d = _wrap(dim, x.ndim)
    size = x.shape[d] if n is None else n
    _check_points(size)
    x = _resize(x, [d], [size]) if n is not None else x
    if inverse:  # ihfft: the conjugate of a one-sided forward transform, scaled as an inverse
        return jnp.conj(jnp.fft.rfft(x, axis=d, norm=_SWAPPED[_norm(norm)]))
    return jnp.fft.rfft(x, axis=d, norm=_norm(norm))


@op("rfft", grad_fn="FftR2CBackward0", saves=True, method=False, namespaces=("fft",))
def rfft(input: Array, n: int | None = None, dim: int = -1, norm: str | None = None) -> Array:
    return _r2c("rfft", input, n, dim, norm, inverse=False)


@op("ihfft", grad_fn="ConjBackward0", saves=True, method=False, namespaces=("fft",))
def ihfft(input: Array, n: int | None = None, dim: int = -1, norm: str | None = None) -> Array:
    return _r2c("ihfft", input, n, dim, norm, inverse=True)


def _c2r(name: str, input: Array, n: int | None, dim: int, norm: str | None,
         forward: bool) -> Array:  # fmt: skip
    x = _promote(name, input, complex_input=True)
    d = _wrap(dim, x.ndim)
    size = 2 * (x.shape[d] - 1) if n is None else n
    _check_points(size)
    if n is not None:
        x = _resize(x, [d], [size // 2 + 1])
    if forward:  # hfft: the inverse real transform of the conjugate, scaled as a forward one
        return jnp.fft.irfft(jnp.conj(x), n=size, axis=d, norm=_SWAPPED[_norm(norm)])
    return jnp.fft.irfft(x, n=size, axis=d, norm=_norm(norm))


@op("irfft", grad_fn="FftC2RBackward0", saves=False, method=False, namespaces=("fft",))
def irfft(input: Array, n: int | None = None, dim: int = -1, norm: str | None = None) -> Array:
    return _c2r("irfft", input, n, dim, norm, forward=False)


@op("hfft", grad_fn="FftC2RBackward0", saves=False, method=False, namespaces=("fft",))
def hfft(input: Array, n: int | None = None, dim: int = -1, norm: str | None = None) -> Array:
    return _c2r("hfft", input, n, dim, norm, forward=True)


# --- n dimensions --------------------------------------------------------------------------

def _c2c_n(name: str, input: Array, s: Any, dim: Any, norm: str | None, inverse: bool) -> Array:
    # torch: fftn promotes a real input to complex and runs _fft_c2c (no r2c shortcut).
    x = _promote(name, input, complex_input=True)
    sizes, dims = _shape_and_dims(x, s, dim)
    x = _resize(x, dims, sizes)
    if not dims:
        return x
    fn = jnp.fft.ifftn if inverse else jnp.fft.fftn
    return fn(x, axes=dims, norm=_norm(norm))


def _r2c_n(name: str, input: Array, s: Any, dim: Any, norm: str | None, inverse: bool) -> Array:
    if inverse and jnp.iscomplexobj(input):
        raise RuntimeError(
            "Only supports floating-point dtypes, but found: "
            f"{_dtype.legacy_name(_dtype.from_np(input.dtype))}")
    _real_only("rfftn", input, n_dims=True)
    x = _promote(name, input, complex_input=False)
    sizes, dims = _shape_and_dims(x, s, dim)
    if not dims:
        raise RuntimeError(f"{'ihfftn' if inverse else 'rfftn'} must transform at least one axis")
    x = _resize(x, dims, sizes)
    if inverse:
        return jnp.conj(jnp.fft.rfftn(x, axes=dims, norm=_SWAPPED[_norm(norm)]))
    return jnp.fft.rfftn(x, axes=dims, norm=_norm(norm))


def _c2r_n(name: str, input: Array, s: Any, dim: Any, norm: str | None, forward: bool) -> Array:
    x = _promote(name, input, complex_input=True)
    sizes, dims = _shape_and_dims(x, s, dim)
    if not dims:
        raise RuntimeError(f"{'hfftn' if forward else 'irfftn'} must transform at least one axis")
    # torch: canonicalize_fft_c2r_shape_and_dim_args; the last dim's output size defaults to
    # 2 * (m - 1), and its input is resized to half of it plus one.
    if s is None or (not isinstance(s, int) and s[-1] == -1):
        last = 2 * (x.shape[dims[-1]] - 1)
    else:
        last = sizes[-1]
    _check_points(last)
    sizes[-1] = last // 2 + 1
    x = _resize(x, dims, sizes)
    out_sizes = [*sizes[:-1], last]
    if forward:
        return jnp.fft.irfftn(jnp.conj(x), s=out_sizes, axes=dims, norm=_SWAPPED[_norm(norm)])
    return jnp.fft.irfftn(x, s=out_sizes, axes=dims, norm=_norm(norm))


def _c2c_n_name(input: Any, *args: Any, **kwargs: Any) -> str:
    return "FftC2CBackward0"


def _ihfftn_name(ndim_default: int | None) -> Any:
    def name(input: Any, s: Any = None, dim: Any = (-2, -1) if ndim_default == 2 else None,
             norm: str | None = None) -> str:  # fmt: skip
        # torch: one transformed dim is r2c then conj; more add a c2c over the others.
        if dim is not None:
            count = 1 if isinstance(dim, int) else len(dim)
        elif s is not None:
            count = 1 if isinstance(s, int) else len(s)
        else:
            count = input.ndim
        return "ConjBackward0" if count == 1 else "FftC2CBackward0"

    return name


def _nd(name: str, kind: str, two: bool) -> None:
    default_dim: Any = (-2, -1) if two else None

    if kind == "c2c" or kind == "ic2c":
        def impl(input: Array, s: Any = None, dim: Any = default_dim,
                 norm: str | None = None) -> Array:  # fmt: skip
            return _c2c_n(name, input, s, dim, norm, inverse=kind == "ic2c")
        grad_fn: Any = _c2c_n_name
    elif kind == "r2c" or kind == "ir2c":
        def impl(input: Array, s: Any = None, dim: Any = default_dim,
                 norm: str | None = None) -> Array:  # fmt: skip
            return _r2c_n(name, input, s, dim, norm, inverse=kind == "ir2c")
        grad_fn = "FftR2CBackward0" if kind == "r2c" else _ihfftn_name(2 if two else None)
    else:
        def impl(input: Array, s: Any = None, dim: Any = default_dim,
                 norm: str | None = None) -> Array:  # fmt: skip
            return _c2r_n(name, input, s, dim, norm, forward=kind == "fc2r")
        grad_fn = "FftC2RBackward0"
    impl.__name__ = impl.__qualname__ = name
    saves = kind in ("r2c", "ir2c")  # See _r2c_saves
    op(name, grad_fn=grad_fn, saves=saves, method=False, namespaces=("fft",))(impl)


for _two in (True, False):
    _suffix = "2" if _two else "n"
    _nd("fft" + _suffix, "c2c", _two)
    _nd("ifft" + _suffix, "ic2c", _two)
    _nd("rfft" + _suffix, "r2c", _two)
    _nd("ihfft" + _suffix, "ir2c", _two)
    _nd("irfft" + _suffix, "c2r", _two)
    _nd("hfft" + _suffix, "fc2r", _two)


# --- shifts --------------------------------------------------------------------------------

def _shift(input: Array, dim: Any, inverse: bool) -> Array:
    if dim is None:
        dims = list(range(input.ndim))
    elif isinstance(dim, int):
        dims = [_errors.wrap_dim(dim, input.ndim)]
    else:
        dims = [_errors.wrap_dim(d, input.ndim) for d in dim]
    if not dims:
        return input
    shifts = [(input.shape[d] + 1) // 2 if inverse else input.shape[d] // 2 for d in dims]
    return jnp.roll(input, shifts, axis=dims)


@op("fftshift", out=False, grad_fn="RollBackward0", saves=False, method=False, namespaces=("fft",))
def fftshift(input: Array, dim: Any = None) -> Array:
    return _shift(input, dim, inverse=False)


@op("ifftshift", out=False, grad_fn="RollBackward0", saves=False, method=False, namespaces=("fft",))
def ifftshift(input: Array, dim: Any = None) -> Array:
    return _shift(input, dim, inverse=True)


# --- complex numbers and their views -------------------------------------------------------
# Note [Conjugate and negative bits]: torch's conj() of a complex tensor is a lazy view (a
# bit on the tensor, resolved by resolve_conj); here every value is materialized, so conj
# computes the conjugate at once, and resolve_conj / resolve_neg always return their input,
# as torch does for a tensor without the bit.

def _self_if_real(run: Any, input: Any, *args: Any, **kwargs: Any) -> Any:
    """torch returns a real tensor itself from conj, conj_physical and real (no new node).
    See Note [Op wrappers] in _dispatch.py."""
    if not getattr(input, "dtype", None) or not input.dtype.is_complex:
        return input
    return run(input, *args, **kwargs)


def _self(run: Any, input: Any, *args: Any, **kwargs: Any) -> Any:
    return input  # See Note [Conjugate and negative bits]


def _check_complex(name: str, input: Array) -> None:
    if not jnp.iscomplexobj(input):
        raise RuntimeError(f"{name} is not implemented for tensors with non-complex dtypes.")


@op("real", out=False, grad_fn="SelectBackward0", saves=False, method=False)
def real(input: Array) -> Array:
    return jnp.real(input)


@op("imag", grad_fn="SelectBackward0", saves=False, method=False)
def imag(input: Array) -> Array:
    _check_complex("imag", input)
    return jnp.imag(input)


@op("view_as_real", grad_fn="ViewAsRealBackward0", saves=False, method=False)
def view_as_real(input: Array) -> Array:
    if not jnp.iscomplexobj(input):
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return jnp.stack([jnp.real(input), jnp.imag(input)], axis=-1)


@op("view_as_complex", out=False, grad_fn="ViewAsComplexBackward0", saves=False, method=False)
def view_as_complex(input: Array) -> Array:
    if input.dtype not in (jnp.float16, jnp.float32, jnp.float64):
        raise RuntimeError(
            "view_as_complex is only supported for half, float and double tensors, but got a "
            f"tensor of scalar type: {_dtype.legacy_name(_dtype.from_np(input.dtype))}")
    if input.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if input.dtype == jnp.float16:
        raise RuntimeError("autograd_grad has no complex32 dtype (view_as_complex of float16)")
    return jax.lax.complex(input[..., 0], input[..., 1])


@op("conj", out=False, grad_fn="ConjBackward0", saves=False)
def conj(input: Array) -> Array:
    return jnp.conj(input)


@op("conj_physical", grad_fn="ConjPhysicalBackward0", saves=False, inplace="conj_physical_")
def conj_physical(input: Array) -> Array:
    return jnp.conj(input)


@op("resolve_conj", out=False, grad_fn=None, saves=False)
def resolve_conj(input: Array) -> Array:
    return input


@op("resolve_neg", out=False, grad_fn=None, saves=False)
def resolve_neg(input: Array) -> Array:
    return input


for _opdef in (real, conj, conj_physical):
    _opdef.impl.wrapper = _self_if_real  # type: ignore[attr-defined]
for _opdef in (resolve_conj, resolve_neg):
    _opdef.impl.wrapper = _self  # type: ignore[attr-defined]


@op("angle", grad_fn="AngleBackward0")
def angle(input: Array) -> Array:
    if jnp.iscomplexobj(input):
        # torch: angle_backward is 0 at 0 (atan2's derivative there is 0/0).
        zero = input == 0
        safe = jnp.where(zero, jnp.ones_like(input), input)
        theta = jnp.arctan2(jnp.imag(safe), jnp.real(safe))
        at_zero = jax.lax.stop_gradient(jnp.arctan2(jnp.imag(input), jnp.real(input)))
        return jnp.where(zero, at_zero, theta)
    x = input if jnp.issubdtype(input.dtype, jnp.floating) else input.astype(
        _dtype.get_default_dtype().np)  # fmt: skip
    # torch: pi for negative numbers, 0 otherwise, NaN kept; its derivative is 0.
    pi = jnp.full_like(x, jnp.pi)
    return jnp.where(jnp.isnan(x), x, jnp.where(x < 0, pi, jnp.zeros_like(x)))


def _two_floats(a: Array, b: Array) -> None:
    names = (jnp.float16, jnp.float32, jnp.float64)
    if a.dtype not in names or b.dtype not in names:
        raise RuntimeError(
            f"Expected both inputs to be Half, Float or Double tensors but got "
            f"{_dtype.legacy_name(_dtype.from_np(a.dtype))} and "
            f"{_dtype.legacy_name(_dtype.from_np(b.dtype))}")
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"Expected object of scalar type {_dtype.legacy_name(_dtype.from_np(a.dtype))} but "
            f"got scalar type {_dtype.legacy_name(_dtype.from_np(b.dtype))} for second argument")
    _errors.broadcast_shapes(tuple(a.shape), tuple(b.shape))


@op("complex", grad_fn="ComplexBackward0", method=False)
def complex(real: Array, imag: Array) -> Array:
    _two_floats(real, imag)
    a, b = jnp.broadcast_arrays(real, imag)
    return jax.lax.complex(a, b)


@op("polar", grad_fn="PolarBackward0", method=False)
def polar(abs: Array, angle: Array) -> Array:
    _two_floats(abs, angle)
    a, t = jnp.broadcast_arrays(abs, angle)
    # torch: polar_backward's abs gradient is real(conj(grad) * sgn(result)), sign(abs)
    # times the derivative, at every order: abs's value with sign(abs) as its derivative.
    magnitude = jnp.sign(a) * a
    a = jax.lax.stop_gradient(a) + (magnitude - jax.lax.stop_gradient(magnitude))
    return jax.lax.complex(a * jnp.cos(t), a * jnp.sin(t))


# --- short-time Fourier transform ----------------------------------------------------------

def _stft_name(input: Any, n_fft: int, hop_length: Any = None, win_length: Any = None,
               window: Any = None, center: bool = True, pad_mode: str = "reflect",
               normalized: bool = False, onesided: Any = None,
               return_complex: Any = None) -> str:  # fmt: skip
    # torch: the spectrum is transposed in place (frames last), squeezed for a 1-D signal,
    # then viewed as real pairs when return_complex is False.
    if return_complex is False or (return_complex is None and not input.dtype.is_complex and not (
            window is not None and window.dtype.is_complex)):  # fmt: skip
        return "ViewAsRealBackward0"
    return "SqueezeBackward4" if input.ndim == 1 else "TransposeBackward1"


@op("stft", out=False, grad_fn=_stft_name)
def stft(input: Array, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
         window: Array | None = None, center: bool = True, pad_mode: str = "reflect",
         normalized: bool = False, onesided: bool | None = None,
         return_complex: bool | None = None) -> Array:  # fmt: skip
    complex_window = window is not None and jnp.iscomplexobj(window)
    if return_complex is None and not (jnp.iscomplexobj(input) or complex_window):
        raise RuntimeError(
            "stft requires the return_complex parameter be given for real inputs, and will "
            "further require that return_complex=True in a future PyTorch release.")
    if not (jnp.issubdtype(input.dtype, jnp.floating)
            or jnp.issubdtype(input.dtype, jnp.complexfloating)):  # fmt: skip
        raise RuntimeError("stft: expected a tensor of floating point or complex values")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.ndim}D tensor")
    signal = input.reshape(1, -1) if input.ndim == 1 else input
    if center:
        # torch/functional.py: the signal padded by n_fft // 2 on both sides.
        pad = n_fft // 2
        mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
                "circular": "wrap"}[pad_mode]  # fmt: skip
        if mode == "reflect" and pad >= signal.shape[1]:
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({pad}, {pad}) at dimension 1 of input "
                f"{list(input.shape)}")
        signal = jnp.pad(signal, [(0, 0), (pad, pad)], mode=mode)
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    length = signal.shape[1]
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(f"stft: expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise RuntimeError(
            f"stft: expected a 1D window tensor of size equal to win_length={win}, but got "
            f"window with size {list(window.shape)}")
    if win < n_fft:  # torch: the window centred in n_fft zeros
        left = (n_fft - win) // 2
        body = jnp.ones((win,), signal.dtype) if window is None else window
        window = jnp.pad(body, [(left, n_fft - win - left)])
    frames = 1 + (length - n_fft) // hop
    index = (np.arange(frames) * hop)[:, None] + np.arange(n_fft)[None, :]
    x = signal[:, index]  # (batch, frames, n_fft)
    if window is not None:
        x = x * window
    norm = "ortho" if normalized else "backward"
    if jnp.iscomplexobj(x):
        if onesided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        out = jnp.fft.fft(x, axis=-1, norm=norm)
    elif onesided is None or onesided:
        out = jnp.fft.rfft(x, axis=-1, norm=norm)
    else:
        out = jnp.fft.fft(x, axis=-1, norm=norm)
    out = jnp.swapaxes(out, 1, 2)
    if input.ndim == 1:
        out = out[0]
    # torch: return_complex defaults to whether the input or the window is complex.
    if return_complex is None:
        return_complex = bool(jnp.iscomplexobj(input) or complex_window)
    if not return_complex:
        return view_as_real.impl(out)
    return out


def _istft_name(input: Any, n_fft: int, hop_length: Any = None, win_length: Any = None,
                window: Any = None, center: bool = True, normalized: bool = False,
                onesided: Any = None, length: Any = None,
                return_complex: bool = False) -> str:  # fmt: skip
    # torch: the overlap-added signal is divided by the window envelope, squeezed for one
    # channel, and zero-padded at the end when `length` asks for more than there is.
    hop = n_fft // 4 if hop_length is None else hop_length
    frames = input.shape[-1] if input.ndim >= 2 else 0
    full = n_fft + hop * (frames - 1)
    start = n_fft // 2 if center else 0
    if length is not None and start + length > full:
        return "ConstantPadNdBackward0"
    return "SqueezeBackward1" if input.ndim == 2 else "DivBackward0"


def _istft_prefix(input: Array, n_fft: int, hop: int, win: int, window: Array | None,
                  center: bool, normalized: bool, onesided: Any, length: Any,
                  return_complex: bool) -> str:  # fmt: skip
    # torch prints the call's arguments before each of istft's own errors.
    kind = {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(
        str(input.dtype), _dtype.legacy_name(_dtype.from_np(input.dtype)))  # fmt: skip
    shape = ", ".join(map(str, input.shape))
    shown = "None"
    if window is not None:
        legacy = _dtype.legacy_name(_dtype.from_np(window.dtype))
        shown = f"torch.{legacy}Tensor{{[{', '.join(map(str, window.shape))}]}}"
    return (f"istft(CPU{kind}Type[{shape}], n_fft={n_fft}, hop_length={hop}, win_length={win}, "
            f"window={shown}, center={int(center)}, normalized={int(normalized)}, "
            f"onesided={'None' if onesided is None else int(onesided)}, "
            f"length={'None' if length is None else length}, "
            f"return_complex={int(return_complex)}) ")  # fmt: skip


@op("istft", grad_fn=_istft_name)
def istft(input: Array, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
          window: Array | None = None, center: bool = True, normalized: bool = False,
          onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False) -> Array:  # fmt: skip
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if not jnp.iscomplexobj(input):
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")  # fmt: skip
    prefix = _istft_prefix(input, n_fft, hop, win, window, center, normalized, onesided, length,
                           return_complex)  # fmt: skip
    if input.size == 0:
        raise RuntimeError(prefix + ": input tensor cannot be empty.")
    if input.ndim < 2:  # torch reads the frequency size at dim -3 of view_as_real(input)
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.ndim - 1}, {input.ndim}], but got -3)")  # fmt: skip
    if input.ndim not in (2, 3):
        raise RuntimeError(
            prefix + f": expected a tensor with 3 or 4 dimensions, but got {input.ndim + 1}")
    fft_size, frames = input.shape[-2], input.shape[-1]
    side = (fft_size != n_fft) if onesided is None else onesided
    if side and n_fft // 2 + 1 != fft_size:
        raise RuntimeError(
            prefix + ": expected the frequency dimension (3rd to the last) of the input tensor "
            f"to match n_fft / 2 + 1 when onesided=True, but got {fft_size}")
    if not side and n_fft != fft_size:
        raise RuntimeError(
            prefix + ": expected the frequency dimension (3rd to the last) of the input tensor "
            f"to match n_fft when onesided=False, but got {fft_size}")
    if not 0 < hop <= win:
        raise RuntimeError(prefix + ": expected 0 < hop_length <= win_length")
    if not 0 < win <= n_fft:
        raise RuntimeError(prefix + ": expected 0 < win_length <= n_fft")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise RuntimeError(
            prefix + ": Invalid window shape. window has to be 1D and length of `win_length`")
    real_dtype = jnp.real(input).dtype
    w = jnp.ones((win,), real_dtype) if window is None else window
    if win != n_fft:  # torch: the window centred in n_fft zeros
        left = (n_fft - win) // 2
        w = jnp.pad(w, [(left, n_fft - win - left)])
    x = input[None] if input.ndim == 2 else input
    x = jnp.swapaxes(x, 1, 2)  # (channel, frames, fft_size)
    norm = "ortho" if normalized else "backward"
    if return_complex:
        if side:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        x = jnp.fft.ifft(x, axis=-1, norm=norm)
    else:
        if window is not None and jnp.iscomplexobj(window):
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not side:
            x = x[..., : n_fft // 2 + 1]
        x = jnp.fft.irfft(x, n=n_fft, axis=-1, norm=norm)
    full = n_fft + hop * (frames - 1)
    index = (np.arange(frames) * hop)[:, None] + np.arange(n_fft)[None, :]
    y = jnp.zeros((x.shape[0], full), (x * w).dtype).at[:, index].add(x * w)
    envelope = jnp.zeros((full,), (w * w).dtype).at[index].add(
        jnp.broadcast_to(w * w, (frames, n_fft)))  # fmt: skip
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        end = full - n_fft // 2 if center else full
    y = y[:, start:end]
    envelope = envelope[start:end]
    # torch: NOLA, the envelope must not vanish anywhere: a check of the window's values
    # (without a window, of the sizes alone).
    if window is None:
        counts = np.zeros(full)
        np.add.at(counts, index, 1.0)
        low = bool(counts[start:end].size) and counts[start:end].min() < 1e-11
    elif _errors.is_traced(window) or not envelope.size:
        low = False
    else:
        low = bool(jnp.min(jnp.abs(envelope)) < 1e-11)
    if low:
        raise RuntimeError(prefix + "window overlap add min: 1\n[ CPUBoolType{} ]")
    y = y / envelope
    if input.ndim == 2:
        y = y[0]
    if end > full:
        y = jnp.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, end - full)])
    return y
