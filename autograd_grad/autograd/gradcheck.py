"""Same as `torch.autograd.gradcheck` / `gradgradcheck`: analytical gradients (our engine)
against central finite differences, as torch's slow mode computes them.

Real inputs only (torch also checks complex inputs through their Wirtinger parts).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .._engine import grad as _grad
from .._tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Same as `torch.autograd.gradcheck.GradcheckError`."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _differentiable_outputs(x: Any) -> tuple[Tensor, ...]:
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _numerical(func: Callable[..., Any], inputs: tuple[Any, ...], j: int,
               positions: list[int], eps: float) -> list[np.ndarray]:  # fmt: skip
    """d(output i)/d(input j) per differentiable output (at `positions` of func's outputs),
    as an (input numel, output numel) matrix. func runs in grad mode: gradgradcheck's
    function takes a gradient inside."""
    x = inputs[j]
    flat = np.asarray(x.detach()._data).reshape(-1)
    columns: list[list[np.ndarray]] = [[] for _ in positions]
    for k in range(flat.size):
        values = []
        for sign in (1.0, -1.0):
            moved = flat.copy()
            moved[k] += sign * eps
            args = list(inputs)
            args[j] = Tensor._from_array(np.asarray(moved.reshape(x.shape)))  # type: ignore[arg-type]
            outs = _as_tuple(func(*args))
            values.append([np.asarray(outs[p].detach()._data, dtype=np.float64).reshape(-1)
                           for p in positions])  # fmt: skip
        for i in range(len(positions)):
            columns[i].append((values[0][i] - values[1][i]) / (2 * eps))
    return [np.stack(c) for c in columns]


def _analytical(outputs: tuple[Tensor, ...], inputs: tuple[Any, ...], i: int,
                j: int) -> np.ndarray:  # fmt: skip
    out = outputs[i]
    n_out = out.numel()
    jac = np.zeros((inputs[j].numel(), n_out))
    for m in range(n_out):
        basis = np.zeros(n_out, dtype=np.dtype(out.dtype.np))
        basis[m] = 1
        (g,) = _grad(out, inputs[j], Tensor._from_array(basis.reshape(tuple(out.shape))),  # type: ignore[arg-type]
                     retain_graph=True, allow_unused=True)  # fmt: skip
        if g is not None:
            jac[:, m] = np.asarray(g._data, dtype=np.float64).reshape(-1)
    return jac


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:  # fmt: skip
    """Same as `torch.autograd.gradcheck` (slow mode): True, or GradcheckError (or False
    with `raise_exception=False`) naming the first mismatching output and input.

    >>> import autograd_grad as torch
    >>> x = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    >>> torch.autograd.gradcheck(lambda a: a.sin() * a, (x,))
    True
    """
    tupled = _as_tuple(inputs)
    for idx, x in enumerate(tupled):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype.name not in (
                "float64", "complex128"):  # fmt: skip
            warnings.warn(
                f"Input #{idx} requires gradient and is not a double precision floating point "
                "or complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ", UserWarning, stacklevel=2)
    all_outputs = _as_tuple(func(*tupled))
    positions = [p for p, o in enumerate(all_outputs) if o.requires_grad]
    outputs = tuple(all_outputs[p] for p in positions)
    for j, x in enumerate(tupled):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        numerical = _numerical(func, tupled, j, positions, eps)
        for i in range(len(outputs)):
            analytical = _analytical(outputs, tupled, i, j)
            if not np.allclose(analytical, numerical[i], rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                d = tupled[j].dtype
                raise GradcheckError(
                    f"Jacobian mismatch for output {i} with respect to input {j},\n"
                    f"numerical:{Tensor._from_array(numerical[i].astype(d.np))}\n"  # type: ignore[arg-type]
                    f"analytical:{Tensor._from_array(analytical.astype(d.np))}\n")  # type: ignore[arg-type]
    return True


def gradgradcheck(func: Callable[..., Any], inputs: Any, grad_outputs: Any = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False) -> bool:  # fmt: skip
    """Same as `torch.autograd.gradgradcheck`: gradcheck of the gradient (with random
    `grad_outputs` in [-1, 1] when none are given; our stream differs from torch's)."""
    tupled = _as_tuple(inputs)
    if grad_outputs is None:
        outs = _differentiable_outputs(func(*tupled))
        rng = np.random.default_rng(0)
        tupled_grads = tuple(
            Tensor._from_array(rng.uniform(-1, 1, tuple(o.shape)).astype(o.dtype.np))  # type: ignore[arg-type]
            .requires_grad_() for o in outs)  # fmt: skip
    else:
        tupled_grads = _as_tuple(grad_outputs)
    n = len(tupled_grads)
    diff_inputs = {i for i, x in enumerate(tupled) if isinstance(x, Tensor) and x.requires_grad}
    diff_grads = {i for i, x in enumerate(tupled_grads) if x.requires_grad}

    def new_func(*args: Any) -> tuple[Tensor, ...]:
        input_args = tuple(x.requires_grad_() if i in diff_inputs else x
                           for i, x in enumerate(args[:-n]))  # fmt: skip
        outputs = _differentiable_outputs(func(*input_args))
        grads = tuple(x.requires_grad_() if i in diff_grads else x
                      for i, x in enumerate(args[-n:]))  # fmt: skip
        wrt = tuple(x for i, x in enumerate(input_args) if i in diff_inputs)
        grad_inputs = _grad(outputs, wrt, grads, create_graph=True, allow_unused=True)
        return tuple(g for g in grad_inputs if g is not None)

    return gradcheck(new_func, tupled + tupled_grads, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)  # fmt: skip
