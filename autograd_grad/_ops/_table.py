"""The op table: one `OpDef` per torch op, beside its pure JAX implementation.

Everything else (dispatch, Tensor methods, operators, namespaces, the op test list)
is generated from `OPS`. An implementation sees only arrays, Python numbers and
static arguments: no Tensor, no graph.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Promotion categories, applied to every positional array/number operand before the
# implementation runs (See Note [Type promotion] in _dtype.py).
NONE = "none"  # the implementation promotes itself, or the op keeps its input dtype
BINARY = "binary"  # operands to torch.result_type
FLOAT = "float"  # like BINARY, then integer/bool to the default float dtype (sqrt, div)

# torch's node for ops without a derivative formula (derivatives.yaml "not_implemented").
NOT_IMPLEMENTED = "torch::autograd::NotImplemented"


@dataclass(frozen=True)
class OpInfoTest:
    """How the OpInfo conformance test treats an op (never name checks in the harness)."""

    name: str | None = None  # op_db name, when it differs from the op's name
    variant: str = ""  # op_db variant_test_name
    rtol: float | None = None
    atol: float | None = None
    gradgrad: bool = True  # torch supports double backward here
    xfail: Mapping[str, str] = field(default_factory=dict)  # "forward"/"grad"/... -> reason


@dataclass(frozen=True)
class OpDef:
    name: str
    impl: Callable[..., Any]
    grad_fn: str | Callable[..., str] | None  # torch's Node name; None: not differentiable
    saves: bool | Callable[..., bool]  # torch keeps tensors for backward (freed-graph error)
    promote: str = NONE
    method: str | None = None  # Tensor method name
    inplace: str | None = None  # Tensor in-place method name (x.add_)
    operators: tuple[str, ...] = ()  # dunder methods, e.g. ("__mul__", "__rmul__")
    namespaces: tuple[str, ...] = ("torch",)  # where the function lives: torch, nn.functional, ...
    aliases: tuple[str, ...] = ()  # other function names in the same namespaces
    multi_output: bool = False
    opinfo: OpInfoTest | None = None
    # torch records this op's node as NotImplemented: grad through it raises
    # "derivative for aten::<no_derivative> is not implemented".
    no_derivative: str | None = None
    # Python numbers among the operands are program arguments, not static: See Note
    # [Dynamic numbers] in _dispatch.py.
    dynamic_numbers: bool = False
    # torch returns a view of the first operand, which shares writes with it (See Note [Views]
    # in _views.py); "reshape": a view of a contiguous operand only, else a copy.
    view: bool | str = False
    # Where torch's function takes `out=`: True is every namespace but nn.functional (views
    # and a few others take none: False); or the namespaces, for nn.functional's builtins.
    out: bool | tuple[str, ...] = True

    def takes_out(self, namespace: str) -> bool:
        if isinstance(self.out, tuple):
            return namespace in self.out
        return self.out and namespace != "nn.functional"

    def node_saves(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """Whether this call's node keeps tensors (x[0] does not, x[[0, 1]] does)."""
        if callable(self.saves):
            return self.saves(*args, **kwargs)
        return self.saves

    def node_name(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        if callable(self.grad_fn):
            return self.grad_fn(*args, **kwargs)
        assert self.grad_fn is not None
        return self.grad_fn


OPS: dict[str, OpDef] = {}


def op(name: str, *, grad_fn: str | Callable[..., str] | None,
       saves: bool | Callable[..., bool] = True,
       promote: str = NONE, method: str | bool | None = True, inplace: str | None = None,
       operators: tuple[str, ...] = (), namespaces: tuple[str, ...] = ("torch",),
       aliases: tuple[str, ...] = (), multi_output: bool = False,
       opinfo: OpInfoTest | None = OpInfoTest(),
       no_derivative: str | None = None,
       dynamic_numbers: bool = False, view: bool | str = False,
       out: bool | tuple[str, ...] = True,
       ) -> Callable[[Callable[..., Any]], OpDef]:  # fmt: skip
    """Register an op. `method=True` makes a Tensor method of the same name.
    A `grad_fn` of NOT_IMPLEMENTED makes `no_derivative` default to the op's name."""

    def register(impl: Callable[..., Any]) -> OpDef:
        if name in OPS:
            raise ValueError(f"op {name!r} registered twice")
        method_name = name if method is True else (method or None)
        missing = no_derivative or (name if grad_fn == NOT_IMPLEMENTED else None)
        opdef = OpDef(name, impl, grad_fn, saves, promote, method_name, inplace, operators,
                      namespaces, aliases, multi_output, opinfo, missing,
                      dynamic_numbers, view, out)  # fmt: skip
        OPS[name] = opdef
        return opdef

    return register
