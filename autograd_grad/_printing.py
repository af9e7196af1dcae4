"""torch's tensor printing (`torch/_tensor_str.py`, PyTorch 2.13), ported to numpy arrays.

The structure mirrors torch's file function by function (`_Formatter`, `_vector_str`,
`_tensor_str_with_formatter`, `get_summarized_data`, `_add_suffixes`, `_str_intern`) so the two
can be diffed when torch changes. Only dense, strided CPU tensors exist here, so torch's
sparse/quantized/nested/meta/device branches are left out.

Values are formatted as Python numbers, as torch does (`Tensor.__format__` and `tolist()` go
through `.item()`, i.e. a Python float/int/bool). Every supported floating dtype (float16,
bfloat16, float32) widens exactly to float64, so we widen once up front and compute with
float64 throughout; the printed digits are those of the original values.

`format_array` imports nothing from the package, so it works even while the package is
half-imported; `tensor_repr` imports the default dtype lazily.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["format_array", "get_printoptions", "set_printoptions", "tensor_repr"]


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Same as `torch.set_printoptions`, including its quirk that `sci_mode` is always reset
    (to None unless given) by every call."""
    if profile is not None:
        # (precision, threshold, edgeitems, linewidth) of torch's three profiles.
        profiles = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
                    "full": (4, math.inf, 3, 80)}
        if profile in profiles:
            (PRINT_OPTS.precision, PRINT_OPTS.threshold,
             PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth) = profiles[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Same as `torch._tensor_str.get_printoptions`."""
    return dataclasses.asdict(PRINT_OPTS)


class _Formatter:
    """Decides one common width and style (int / fixed / scientific) for all the elements of
    a (possibly summarized) real array, exactly as torch's `_Formatter` does."""

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating_dtype = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)

        if not floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        # Zeros and non-finite values take no part in choosing the style or the width:
        # they are printed by the style the other values chose ("0.", "nan", "-inf", ...).
        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            return
        abs_vals = np.abs(nonzero_finite)
        nz_min, nz_max = float(abs_vals.min()), float(abs_vals.max())

        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = nz_max / nz_min > 1000.0 or nz_max > 1.0e8 or nz_min < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        p = PRINT_OPTS.precision
        for value in nonzero_finite.tolist():
            if self.sci_mode:
                width = len(f"{value:.{p}e}")
            elif self.int_mode:
                # Integer-valued floats print as "2." to show they are floats: one extra char.
                width = len(f"{value:.0f}") + 1
            else:
                width = len(f"{value:.{p}f}")
            self.max_width = max(self.max_width, width)

    def width(self) -> int:
        return self.max_width

    def format(self, value: Any) -> str:
        if self.floating_dtype:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{p}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


_Formatters = tuple[_Formatter, "_Formatter | None"]


def _complex_str(real_str: str, imag_str: str) -> str:
    # The imaginary part may carry its own sign ("-2.j", "-0.j", "-inf"); else add a "+".
    imag_str = (imag_str + "j").lstrip()
    if imag_str[0] in "+-":
        return real_str + imag_str
    return real_str + "+" + imag_str


def _val_str(value: Any, fmt: _Formatters) -> str:
    if fmt[1] is not None:
        return _complex_str(fmt[0].format(value.real), fmt[1].format(value.imag))
    return fmt[0].format(value)


def _vector_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatters) -> str:
    # Each element takes its width plus ", "; complex adds the imaginary width and a "j".
    element_length = fmt[0].width() + 2
    if fmt[1] is not None:
        element_length += fmt[1].width() + 1
    elements_per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))

    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        data = ([_val_str(v, fmt) for v in a[:edge].tolist()] + [" ..."]
                + [_val_str(v, fmt) for v in a[-edge:].tolist()])
    else:
        data = [_val_str(v, fmt) for v in a.tolist()]

    lines = [", ".join(data[i:i + elements_per_line])
             for i in range(0, len(data), elements_per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(a: np.ndarray, indent: int, summarize: bool,
                               fmt: _Formatters) -> str:
    dim = a.ndim
    if dim == 0:
        return _val_str(a.item(), fmt)
    if dim == 1:
        return _vector_str(a, indent, summarize, fmt)

    edge = PRINT_OPTS.edgeitems
    n = a.shape[0]
    if summarize and n > 2 * edge:
        rows = [*range(edge), None, *range(n - edge, n)]  # None marks the "..." row
    else:
        rows = list(range(n))
    slices = ["..." if i is None else _tensor_str_with_formatter(a[i], indent + 1, summarize, fmt)
              for i in rows]
    # Sub-blocks of a k-d tensor are separated by k-1 newlines (blank lines between matrices).
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def get_summarized_data(a: np.ndarray) -> np.ndarray:
    """The elements that survive summarization; the formatter sees only these, so hidden
    values do not affect widths or sci mode. Note torch's quirk, kept here: for 1-d with
    edgeitems == 0, `a[-0:]` is the whole array."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate((a[:edge], a[-edge:])) if a.shape[0] > 2 * edge else a
    if not edge:
        return np.empty([0] * a.ndim, dtype=a.dtype)
    n = a.shape[0]
    rows = [*range(edge), *range(n - edge, n)] if n > 2 * edge else range(n)
    return np.stack([get_summarized_data(a[i]) for i in rows])


def _tensor_str(a: np.ndarray, indent: int, floating: bool) -> str:
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold

    def formatter(part: np.ndarray, is_float: bool) -> _Formatter:
        return _Formatter(get_summarized_data(part) if summarize else part, is_float)

    if np.iscomplexobj(a):
        # Real and imaginary parts get separate formatters (own widths, own sci mode).
        fmt: _Formatters = (formatter(a.real, True), formatter(a.imag, True))
    else:
        fmt = (formatter(a, floating), None)
    return _tensor_str_with_formatter(a, indent, summarize, fmt)


def _add_suffixes(tensor_str: str, suffixes: Sequence[str], indent: int,
                  force_newline: bool) -> str:
    # torch's arithmetic, "+ 1" included: it measures the last line one char generously.
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    parts = [tensor_str]
    for suffix in suffixes:
        if force_newline or last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
            force_newline = False
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


_FLOAT_NAMES = ("float16", "bfloat16", "float32", "float64")


def _as_printable(array: np.ndarray, dtype_name: str) -> np.ndarray:
    """Widen exactly to the dtype whose Python scalars torch's `.item()` would give."""
    if dtype_name in _FLOAT_NAMES:
        return np.asarray(array).astype(np.float64)  # bfloat16 (ml_dtypes) included
    if dtype_name in ("complex64", "complex128"):
        return np.asarray(array).astype(np.complex128)
    if dtype_name == "bool":
        return np.asarray(array).astype(np.bool_)
    return np.asarray(array)


def format_array(array: np.ndarray, dtype_name: str, *, suffixes: Sequence[str] = (),
                 default_dtype_name: str = "float32") -> str:
    """torch's repr of a CPU tensor holding `array` with torch dtype `dtype_name`.

    `suffixes` ("grad_fn=<MulBackward0>", "requires_grad=True", ...) come after the ones
    torch computes itself (size=..., dtype=...), as in `_str_intern`."""
    a = _as_printable(array, dtype_name)
    prefix = "tensor("
    indent = len(prefix)
    own: list[str] = []
    dtype_str = "torch." + dtype_name

    default_complex = "complex128" if default_dtype_name == "float64" else "complex64"
    has_default_dtype = dtype_name in (default_dtype_name, default_complex, "int64", "bool")
    if a.size == 0:
        # Shape is shown unless it is (0,), as numpy does; with no elements the dtype cannot
        # be guessed from the text, so anything but the default float dtype is shown.
        if a.ndim != 1:
            own.append("size=" + str(tuple(a.shape)))
        if dtype_name != default_dtype_name:
            own.append("dtype=" + dtype_str)
        tensor_str = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            own.append("size=" + str(tuple(a.shape)))
        if not has_default_dtype:
            own.append("dtype=" + dtype_str)
        tensor_str = _tensor_str(a, indent, dtype_name in _FLOAT_NAMES)
    return _add_suffixes(prefix + tensor_str, [*own, *suffixes], indent, force_newline=False)


def tensor_repr(t: Any) -> str:
    """`repr(t)` for a package Tensor, with torch's autograd suffix: the grad_fn of a
    non-leaf, else requires_grad=True on a leaf that requires grad."""
    from ._dtype import get_default_dtype  # lazy: keeps this module importable on its own

    suffixes: list[str] = []
    grad_fn = t.grad_fn
    if grad_fn is not None and not t.is_leaf:
        # torch shows C++ node names without their namespace ("torch::autograd::...").
        suffixes.append(f"grad_fn=<{grad_fn.name().rsplit('::', 1)[-1]}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return format_array(np.asarray(t._value.data), t.dtype.name, suffixes=suffixes,
                        default_dtype_name=get_default_dtype().name)
