"""OpInfo conformance: every `OPS` entry with an `opinfo` against PyTorch's own op database.

For each `OpDef` whose `opinfo` is set, its entries in
`torch.testing._internal.common_methods_invocations.op_db` are found by name (the table's
`OpInfoTest.name`, else the op's name in each of its namespaces, and its aliases) and
variant (`OpInfoTest.variant`; empty means every variant). Each entry's sample inputs run
through torch and through autograd_grad in five phases, each a separate test:

- ``forward``: values, dtypes, shapes and `requires_grad` of the results (float32 and
  float64, plus the first integer or bool dtype the OpInfo declares);
- ``grad_fn``: the results' `grad_fn` names (float32, differentiable entries);
- ``grad``: `autograd.grad` of every differentiable output w.r.t. every float input, with
  the same random cotangents on both sides; `None`s must match;
- ``gradgrad`` (float64, where torch supports it): `create_graph=True`, then the grad of
  ``sum(grads * projection)`` w.r.t. the inputs and the cotangents. A structurally absent
  second derivative is `None` in torch and zeros here (our first-order grads are one vjp
  node; see README "How it differs from torch"), so `None` and zeros compare equal;
- ``batched`` (float64): `is_grads_batched=True` with a batch of 3 cotangents, where the
  OpInfo has `check_batched_grad`.

Expected failures, tolerances and the op_db name live in the op's `OpInfoTest` entry
(`xfail` maps ``[entry/]phase[:dtype]``, e.g. ``gradgrad`` or ``norm.fro/grad:float32``, to
its reason); an expected failure that passes fails the run (strict xfail).
`scripts/opinfo_report.py` runs the same cases for docs/opinfo_coverage.md.
"""

from __future__ import annotations

import functools
import os
import tempfile
import types
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")

from torch.testing._internal.common_methods_invocations import op_db
from torch.testing._internal.common_utils import SEED, set_rng_seed

import autograd_grad as ag
from autograd_grad._ops import OPS, OpDef

# Note [OpInfo compile cache]: eager JAX compiles each primitive once per new shape and dtype,
# and the samples bring hundreds of shapes, so compiling is most of this file's time. JAX's
# persistent compilation cache keeps those executables between runs (AUTOGRAD_GRAD_JAX_CACHE
# picks the folder; set it empty to turn the cache off).
_CACHE_DIR = os.environ.get("AUTOGRAD_GRAD_JAX_CACHE",
                            os.path.join(tempfile.gettempdir(), "autograd_grad_jax_cache"))
if _CACHE_DIR and not jax.config.jax_compilation_cache_dir:
    jax.config.update("jax_compilation_cache_dir", _CACHE_DIR)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)

PHASES = ("forward", "grad_fn", "grad", "gradgrad", "batched")
# Samples per op_db entry, dtype and phase, first in sample_inputs order. Most of this file's
# time is JAX compiling for new shapes (See Note [OpInfo compile cache]); these caps keep it
# to about four minutes on two cores with a warm cache.
MAX_SAMPLES = {"forward": 4, "grad_fn": 4, "grad": 3, "gradgrad": 3, "batched": 3}
BATCH = 3  # cotangents per batched grad
FLOAT_DTYPES = (torch.float32, torch.float64)
# Second-order and batched grads in float64 only, as torch's gradgradcheck: they cost most
# (a vjp of a vjp; a vmap), and in float32 they mostly measure torch's rounding.
SECOND_ORDER_DTYPES = (torch.float64,)
# One forward-only dtype: the first of these the OpInfo declares.
INT_DTYPES = (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)
TOLERANCES = {torch.float32: (1e-4, 1e-5), torch.float64: (1e-7, 1e-9),
              torch.complex64: (1e-4, 1e-5), torch.complex128: (1e-7, 1e-9)}
NAMESPACE_PREFIX = {"torch": "", "nn.functional": "nn.functional.", "linalg": "linalg.",
                    "special": "special.", "fft": "fft.", "signal.windows": "signal.windows."}


# --- which cases exist --------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One test: an op_db entry of an OpDef, a dtype and a phase."""

    opdef: OpDef
    info: Any  # torch's OpInfo
    dtype: Any  # torch dtype
    phase: str

    @property
    def entry(self) -> str:
        """The op_db entry, `name` or `name.variant`."""
        v = self.info.variant_test_name
        return f"{self.info.name}.{v}" if v else self.info.name

    @property
    def dtype_name(self) -> str:
        return str(self.dtype).removeprefix("torch.")

    @property
    def id(self) -> str:
        return f"{self.entry}-{self.dtype_name}-{self.phase}"

    def tolerances(self, dtype: Any) -> tuple[float, float]:
        """rtol and atol for a result of `dtype`: the table's, else the dtype's default."""
        rtol, atol = TOLERANCES.get(dtype, (0.0, 0.0))
        spec = self.opdef.opinfo
        assert spec is not None
        return (rtol if spec.rtol is None else spec.rtol, atol if spec.atol is None else spec.atol)

    def xfail_reason(self) -> str | None:
        """The table's reason this case is expected to fail, or None."""
        spec = self.opdef.opinfo
        assert spec is not None
        for key in self.xfail_keys():
            if key in spec.xfail:
                return spec.xfail[key]
        return None

    def xfail_keys(self) -> tuple[str, ...]:
        """The keys of `OpInfoTest.xfail` that name this case, most specific first:
        ``[entry/]phase[:dtype]``, where entry is the op_db entry (``norm.fro``)."""
        keys = (f"{self.phase}:{self.dtype_name}", self.phase)
        return tuple(f"{self.entry}/{k}" for k in keys) + keys


def op_db_names(opdef: OpDef) -> list[str]:
    """The op_db names an OpDef answers to: the table's `OpInfoTest.name`, else its name and
    aliases in its namespaces (a method-only op under its own name), its dunder methods and
    operators (op_db has `__radd__`, `__rsub__`...)."""
    spec = opdef.opinfo
    assert spec is not None
    if spec.name is not None:
        return [spec.name]
    names = []
    for ns in opdef.namespaces or ("torch",):
        prefix = NAMESPACE_PREFIX.get(ns)
        if prefix is not None:
            names += [prefix + n for n in (opdef.name, *opdef.aliases)]
    dunders = [m for m in (opdef.method, *opdef.operators) if m and m.startswith("__")]
    return names + [m for m in dunders if m not in names]


def op_db_entries(opdef: OpDef) -> list[Any]:
    spec = opdef.opinfo
    assert spec is not None
    names = op_db_names(opdef)
    return [info for info in op_db if info.name in names
            and (not spec.variant or info.variant_test_name == spec.variant)]  # fmt: skip


def _dtypes(info: Any) -> list[Any]:
    declared = info.dtypes
    others = [d for d in (*INT_DTYPES, torch.bool) if d in declared]
    return [d for d in FLOAT_DTYPES if d in declared] + others[:1]


def _phases(info: Any, dtype: Any, opdef: OpDef) -> list[str]:
    if dtype not in FLOAT_DTYPES or not info.supports_autograd:
        return ["forward"]
    spec = opdef.opinfo
    assert spec is not None
    phases = ["forward", "grad_fn", "grad"] if dtype == torch.float32 else ["forward", "grad"]
    if dtype in SECOND_ORDER_DTYPES and info.supports_gradgrad and spec.gradgrad:
        phases.append("gradgrad")
    if dtype in SECOND_ORDER_DTYPES and info.check_batched_grad:
        phases.append("batched")
    return phases


def all_cases() -> list[Case]:
    cases = []
    for opdef in OPS.values():
        if opdef.opinfo is None:
            continue
        for info in op_db_entries(opdef):
            for dtype in _dtypes(info):
                cases += [Case(opdef, info, dtype, p) for p in _phases(info, dtype, opdef)]
    return cases


# --- torch values -> our values -------------------------------------------------------------

def _resolve(root: Any, dotted: str) -> Any:
    obj = root
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def our_function(info: Any) -> Callable[..., Any]:
    """Our counterpart of the OpInfo's `op`: the same public name under `autograd_grad`, the
    same Tensor method, or for a wrapper (a lambda over `torch.X` or `x.method`) the wrapper
    with `torch` bound to autograd_grad."""
    try:
        theirs = _resolve(torch, info.name)
    except AttributeError:
        theirs = None
    if info.op is theirs:
        return _resolve(ag, info.name)
    if info.op is getattr(torch.Tensor, info.name, None):
        return _method(info.name)
    if isinstance(info.op, (torch._ops.OpOverloadPacket, torch._ops.OpOverload)):
        return _resolve(ag, info.name)  # torch.ops.aten.X: ours is autograd_grad.X
    name = getattr(info.op, "__name__", "")
    if name and getattr(torch, name, None) is info.op:  # torch.X under another op_db name
        return _resolve(ag, name)
    if isinstance(info.op, types.FunctionType):
        return _rebound(info.op)
    raise TypeError(f"don't know how to call our version of {info.name}'s op {info.op!r}")


def _rebound(fn: Any) -> Any:
    """A Python function from torch's test code with `torch` bound to autograd_grad."""
    if not isinstance(fn, types.FunctionType):
        return fn
    scope = {**fn.__globals__, "torch": ag}
    return types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)


def _method(name: str) -> Callable[..., Any]:
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, name)(*args, **kwargs)

    return call


def _our_module(module: Any) -> Any:
    """Our module of a torch module's class, with its settings (a parameter-free module)."""
    cls = getattr(ag.nn, type(module).__name__)
    ours = cls.__new__(cls)
    ag.nn.Module.__init__(ours)
    for key, value in vars(module).items():
        if not key.startswith("_") and key != "training":
            setattr(ours, key, value)
    return ours


class Pair:
    """One sample's arguments built twice, as fresh torch leaves and as our tensors."""

    def __init__(self, sample: Any) -> None:
        self._torch: dict[int, Any] = {}
        self._ours: dict[int, Any] = {}
        self.leaves: list[tuple[Any, Any]] = []  # (torch, ours) tensors that require grad
        self.torch_args = self._convert(sample.input, sample.args, sample.kwargs, ours=False)
        self.our_args = self._convert(sample.input, sample.args, sample.kwargs, ours=True)

    def _convert(self, input: Any, args: Any, kwargs: Any, *, ours: bool) -> Any:
        return (self.value(input, ours), tuple(self.value(a, ours) for a in args),
                {k: self.value(v, ours) for k, v in kwargs.items()})  # fmt: skip

    def value(self, x: Any, ours: bool) -> Any:
        if isinstance(x, torch.Tensor):
            return self._tensor(x, ours)
        if isinstance(x, torch.dtype):
            return getattr(ag, str(x).removeprefix("torch.")) if ours else x
        if isinstance(x, torch.Size):
            return tuple(x) if ours else x
        if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
            return type(x)(self.value(v, ours) for v in x)
        if isinstance(x, dict):
            return {k: self.value(v, ours) for k, v in x.items()}
        if isinstance(x, torch.nn.Module) and ours:  # a distance function given as a module
            return _our_module(x)
        return x

    def _tensor(self, x: Any, ours: bool) -> Any:
        key = id(x)
        if key not in self._torch:
            # Fresh leaves on both sides: the same numbers, the same sharing between arguments.
            t = x.detach().clone().requires_grad_(x.requires_grad)
            # device_put: jnp.asarray of a numpy array compiles a copy for every new shape.
            array = jax.device_put(x.detach().numpy().copy())
            o = ag.tensor(array, dtype=self.value(x.dtype, True), requires_grad=x.requires_grad)
            self._torch[key], self._ours[key] = t, o
            if x.requires_grad:
                self.leaves.append((t, o))
        return self._ours[key] if ours else self._torch[key]


@functools.lru_cache(maxsize=64)
def _samples(index: int, dtype: Any) -> tuple[Any, ...]:
    # What `OpInfo.sample_inputs` gives outside a torch test (the seed reset before each sample),
    # without its TrackedInputIter, which inspects the whole call stack twice per call. Made
    # once per entry and dtype and shared by the phases (each run copies the tensors).
    info = op_db[index]
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        items = iter(info.sample_inputs_func(info, "cpu", dtype, dtype.is_floating_point))
        for _ in range(max(MAX_SAMPLES.values())):
            set_rng_seed(SEED)
            sample = next(items, None)
            if sample is None:
                break
            out.append(sample)
    return tuple(out)


def samples(case: Case) -> tuple[Any, ...]:
    """The case's first OpInfo sample inputs (requiring grad for float dtypes)."""
    index = next(i for i, info in enumerate(op_db) if info is case.info)
    return _samples(index, case.dtype)[:MAX_SAMPLES[case.phase]]


# --- comparing --------------------------------------------------------------------------------

def _flat(x: Any) -> list[Any]:
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in _flat(item)]
    return [x]


def _as_numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        if x.dtype == torch.bfloat16:  # numpy has no bfloat16; float32 holds it exactly
            x = x.float()
        return x.detach().resolve_conj().numpy(force=True)  # force: torch's ZeroTensor grads
    return np.asarray(x.detach()._data)


def assert_close(ours: Any, theirs: Any, case: Case, path: str, *, meta: bool = False,
                 none_is_zero: bool = False, values: bool = True) -> None:  # fmt: skip
    """Same type, dtype, shape and values (the case's tolerances); with `meta`, the same
    requires_grad as well; without `values`, not the values (random or undefined ones)."""
    if none_is_zero:
        if theirs is None and isinstance(ours, ag.Tensor):
            theirs = torch.zeros(tuple(ours.shape), dtype=getattr(torch, ours.dtype.name))
        if ours is None and isinstance(theirs, torch.Tensor):
            ours = ag.zeros(tuple(theirs.shape), dtype=getattr(ag, str(theirs.dtype)[6:]))
    if theirs is None or ours is None:
        assert ours is None and theirs is None, (
            f"{path}: ours {_short(ours)}, torch {_short(theirs)}")
        return
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ag.Tensor), f"{path}: expected a Tensor, got {_short(ours)}"
        assert str(ours.dtype) == str(theirs.dtype), f"{path}: dtype {ours.dtype} != {theirs.dtype}"
        assert tuple(ours.shape) == tuple(theirs.shape), (
            f"{path}: shape {tuple(ours.shape)} != {tuple(theirs.shape)}")
        if meta:
            assert ours.requires_grad == theirs.requires_grad, (
                f"{path}: requires_grad {ours.requires_grad} != {theirs.requires_grad}")
        if not values:
            return
        a, b = _as_numpy(ours), _as_numpy(theirs)
        if b.dtype.kind in "biu":
            np.testing.assert_array_equal(a, b, err_msg=path)
        else:
            rtol, atol = case.tolerances(theirs.dtype)
            wide = np.complex128 if b.dtype.kind == "c" else np.float64
            np.testing.assert_allclose(a.astype(wide), b.astype(wide), rtol=rtol, atol=atol,
                                       equal_nan=True, err_msg=path)  # fmt: skip
        return
    if isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)), f"{path}: expected a sequence, got {_short(ours)}"
        assert len(ours) == len(theirs), f"{path}: length {len(ours)} != {len(theirs)}"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            assert_close(o, t, case, f"{path}[{i}]", meta=meta, none_is_zero=none_is_zero,
                         values=values)  # fmt: skip
        return
    assert type(ours) is type(theirs), f"{path}: {ours!r} != {theirs!r}"
    assert not values or ours == theirs, f"{path}: {ours!r} != {theirs!r}"


def _short(x: Any) -> str:
    if isinstance(x, (torch.Tensor, ag.Tensor)):
        return f"Tensor{tuple(x.shape)} {x.dtype}"
    return repr(x)


def _both(fn: Callable[[Any, bool], Any]) -> tuple[Any, Any]:
    """`fn(module, ours)` under torch, then under autograd_grad; an exception is a result."""
    results = []
    for module, ours in ((torch, False), (ag, True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                results.append(fn(module, ours))
            except Exception as e:  # noqa: BLE001 - compared below
                results.append(e)
    return results[1], results[0]


def _check_errors(ours: Any, theirs: Any, path: str) -> bool:
    """Compare exceptions; True when both raised (nothing more to compare)."""
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"{path}: torch raised {theirs!r}, ours returned"
        assert type(ours).__name__ == type(theirs).__name__, (
            f"{path}: torch raised {type(theirs).__name__}: {theirs}; ours "
            f"{type(ours).__name__}: {ours}")
        return True
    if isinstance(ours, Exception):
        raise AssertionError(f"{path}: ours raised {type(ours).__name__}: {ours}") from ours  # noqa: TRY004
    return False


# --- the phases -------------------------------------------------------------------------------

def _rng(case: Case, index: int) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{case.id}/{index}".encode()))


def _random_like(rng: np.random.Generator, outs: list[Any],
                 batch: int | None = None) -> list[np.ndarray]:  # fmt: skip
    arrays = []
    for o in outs:
        shape = tuple(o.shape) if batch is None else (batch, *o.shape)
        a = rng.standard_normal(shape)
        if o.dtype.is_complex:  # complex cotangents, so the imaginary parts are checked too
            a = a + 1j * rng.standard_normal(shape)
        arrays.append(a.astype(str(o.dtype).removeprefix("torch.")))
    return arrays


def _tensors(module: Any, arrays: list[np.ndarray], requires_grad: bool = False) -> list[Any]:
    if module is torch:  # numpy's bfloat16 (ml_dtypes) through float32, which holds it exactly
        return [torch.tensor(a.astype(np.float32)).to(torch.bfloat16).requires_grad_(requires_grad)
                if a.dtype.name == "bfloat16" else torch.tensor(a, requires_grad=requires_grad)
                for a in arrays]  # fmt: skip
    return [ag.tensor(jax.device_put(a), requires_grad=requires_grad) for a in arrays]


def _node_name(x: Any) -> str | None:
    return None if getattr(x, "grad_fn", None) is None else x.grad_fn.name()


def _differentiable(result: Any) -> list[int]:
    """Positions (in the flattened result) of torch outputs that require grad."""
    return [i for i, x in enumerate(_flat(result))
            if isinstance(x, torch.Tensor) and x.requires_grad]  # fmt: skip


def run_sample(case: Case, sample: Any, index: int) -> bool:
    """Run one sample in `case.phase`; False when the phase does not apply to it."""
    pair = Pair(sample)
    fn = {False: case.info.op, True: our_function(case.info)}
    path = f"sample {index}: {_describe(sample)}"

    def forward(module: Any, ours: bool) -> Any:
        input, args, kwargs = pair.our_args if ours else pair.torch_args
        return fn[ours](input, *args, **kwargs)

    ours, theirs = _both(forward)
    if case.phase == "forward":
        if not _check_errors(ours, theirs, path):
            # torch's empty* say has_nondeterministic_output: their values are undefined.
            defined = not case.info.has_nondeterministic_output and not is_random(case.opdef)
            assert_close(ours, theirs, case, path, meta=True, values=defined)
            if is_random(case.opdef):
                check_draws(case, sample, path)
        return True
    if case.phase == "grad_fn":
        if _check_errors(ours, theirs, path):
            return False
        our_names = [_node_name(o) for o in _flat(ours)]
        their_names = [_node_name(t) for t in _flat(theirs)]
        assert our_names == their_names, f"{path}: grad_fn {our_names} != torch {their_names}"
        return True
    if _check_errors(ours, theirs, path):
        return False
    # As torch's gradcheck: the grads are of the sample's output_process_fn_grad of the
    # results (svd's gauge-invariant parts, lu's L and U).
    process = sample.output_process_fn_grad
    ours, theirs = _rebound(process)(ours), process(theirs)
    positions = _differentiable(theirs)
    if not positions or not pair.leaves:
        return False
    our_flat, their_flat = _flat(ours), _flat(theirs)
    assert len(our_flat) == len(their_flat), (
        f"{path}: {len(our_flat)} outputs, torch {len(their_flat)}")
    outs = {False: [their_flat[i] for i in positions], True: [our_flat[i] for i in positions]}
    for i, o in zip(positions, outs[True]):
        assert isinstance(o, ag.Tensor) and o.requires_grad, f"{path}: output {i} needs grad"
    leaves = {False: [t for t, _ in pair.leaves], True: [o for _, o in pair.leaves]}
    rng = _rng(case, index)

    if case.phase == "grad":
        cot = _random_like(rng, outs[False])

        def first(module: Any, ours: bool) -> Any:
            return module.autograd.grad(outs[ours], leaves[ours], _tensors(module, cot),
                                        allow_unused=True)  # fmt: skip

        ours, theirs = _both(first)
        if not _check_errors(ours, theirs, path + " grad"):
            assert_close(ours, theirs, case, path + " grad", meta=False)
        return True

    if case.phase == "batched":
        cot = _random_like(rng, outs[False], BATCH)

        def batched(module: Any, ours: bool) -> Any:
            return module.autograd.grad(outs[ours], leaves[ours], _tensors(module, cot),
                                        allow_unused=True, is_grads_batched=True)  # fmt: skip

        ours, theirs = _both(batched)
        if not _check_errors(ours, theirs, path + " batched grad"):
            assert_close(ours, theirs, case, path + " batched grad", meta=False)
        return True

    assert case.phase == "gradgrad", case.phase
    cot = _random_like(rng, outs[False])
    proj = [rng.standard_normal(tuple(x.shape)).astype(str(x.dtype).removeprefix("torch."))
            for x in leaves[False]]  # fmt: skip

    their_keep: list[int] = []  # filled by torch's run, which _both does first

    def second(module: Any, ours: bool) -> Any:
        cots = _tensors(module, cot, requires_grad=True)
        grads = module.autograd.grad(outs[ours], leaves[ours], cots, create_graph=True,
                                     allow_unused=True)  # fmt: skip
        # Project the grads torch can differentiate again. Where ours is a constant at such a
        # position, its second derivative is None, which compares equal to zeros.
        if not ours:
            their_keep.extend(i for i, g in enumerate(grads) if g is not None and g.requires_grad)
        keep = [i for i in their_keep if grads[i] is not None and grads[i].requires_grad]
        if not keep:
            return None if not ours else (grads, (None,) * (len(leaves[ours]) + len(cots)))
        p = _tensors(module, [proj[i] for i in keep])
        total = sum(((grads[i] * q).sum() for i, q in zip(keep, p)), start=module.zeros(()))
        return grads, module.autograd.grad(total, [*leaves[ours], *cots], allow_unused=True)

    ours, theirs = _both(second)
    if _check_errors(ours, theirs, path + " gradgrad"):
        return True
    if theirs is None:
        return False
    assert_close(ours[1], theirs[1], case, path + " gradgrad", meta=False, none_is_zero=True)
    return True


# --- random ops: the distribution of many draws -----------------------------------------------

DRAWS = 10000  # values per library behind a random op's distribution check
MAX_CALLS = 50
KS_P_MIN = 1e-4  # the two-sample Kolmogorov-Smirnov p-value below which the draws differ


def is_random(opdef: OpDef) -> bool:
    """An op that draws random numbers (See Note [Creation ops] in _ops/creation.py)."""
    spec = getattr(opdef.impl, "creation", None)
    return spec is not None and spec.random


def _unseeded(info: Any, ours: bool) -> Callable[..., Any]:
    """The OpInfo's op without `wrapper_set_seed`, which resets torch's seed to 42 at every call
    (the harness seeds each draw itself); ours with `torch` bound to autograd_grad."""
    fn = our_function(info) if ours else info.op
    if not isinstance(info.op, types.FunctionType) or "wrapper_set_seed" not in info.op.__code__.co_names:
        return fn
    scope = {**info.op.__globals__, "wrapper_set_seed": lambda op, *a, **k: op(*a, **k)}
    if ours:
        scope["torch"] = ag
    code = info.op
    return types.FunctionType(code.__code__, scope, code.__name__, code.__defaults__, code.__closure__)


def _draws(case: Case, sample: Any, ours: bool) -> list[np.ndarray]:
    """The op's results over repeated seeded calls, one flat array per result position
    (complex results as real and imaginary parts)."""
    module = ag if ours else torch
    fn = _unseeded(case.info, ours)
    pooled: list[list[np.ndarray]] = []
    count = 0
    calls = 0
    while count < DRAWS and calls < MAX_CALLS:
        pair = Pair(sample)
        input, args, kwargs = pair.our_args if ours else pair.torch_args
        module.manual_seed(SEED + calls)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = [x for x in _flat(fn(input, *args, **kwargs))
                      if isinstance(x, (torch.Tensor, ag.Tensor))]  # fmt: skip
        arrays = [_as_numpy(x).ravel() for x in result]
        arrays = [part for a in arrays for part in ((a.real, a.imag) if a.dtype.kind == "c" else (a,))]
        if not pooled:
            pooled = [[] for _ in arrays]
        for bucket, a in zip(pooled, arrays):
            bucket.append(a.astype(np.float64))
        count += sum(a.size for a in arrays)
        calls += 1
        if count == 0:
            break
    return [np.concatenate(b) for b in pooled]


def ks_pvalue(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov test's asymptotic p-value (Numerical Recipes' probks;
    conservative for discrete distributions)."""
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    d = np.max(np.abs(np.searchsorted(a, grid, side="right") / a.size
                      - np.searchsorted(b, grid, side="right") / b.size))  # fmt: skip
    en = np.sqrt(a.size * b.size / (a.size + b.size))
    lam = (en + 0.12 + 0.11 / en) * d
    if lam < 1e-3:
        return 1.0
    k = np.arange(1, 101)
    return float(np.clip(2 * np.sum((-1.0) ** (k - 1) * np.exp(-2 * k**2 * lam**2)), 0, 1))


def check_draws(case: Case, sample: Any, path: str) -> None:
    """A random op's draws against torch's: the same distribution (two-sample
    Kolmogorov-Smirnov, each result position), and integers where torch's are integers."""
    theirs = _draws(case, sample, ours=False)
    ours = _draws(case, sample, ours=True)
    assert len(ours) == len(theirs), f"{path}: {len(ours)} results, torch {len(theirs)}"
    for i, (o, t) in enumerate(zip(ours, theirs)):
        if t.size == 0 or o.size == 0:
            assert o.size == t.size == 0, f"{path}: result {i} is empty on one side only"
            continue
        finite_t, finite_o = t[np.isfinite(t)], o[np.isfinite(o)]
        if np.all(finite_t == np.round(finite_t)):
            assert np.all(finite_o == np.round(finite_o)), f"{path}: result {i}: torch draws integers"
        p = ks_pvalue(o, t)
        assert p >= KS_P_MIN, (
            f"{path}: result {i}: draws differ from torch's (KS p = {p:.2g}; mean {o.mean():.4g} vs "
            f"{t.mean():.4g}, std {o.std():.4g} vs {t.std():.4g}, {o.size} values)")


def _describe(sample: Any) -> str:
    def short(x: Any) -> str:
        if isinstance(x, torch.Tensor):
            return f"Tensor{list(x.shape)}"
        if isinstance(x, (list, tuple)):
            return "[" + ", ".join(short(v) for v in x) + "]"
        return repr(x)

    parts = [short(sample.input), *(short(a) for a in sample.args)]
    parts += [f"{k}={short(v)}" for k, v in sample.kwargs.items()]
    return f"({', '.join(parts)})"


def run_case(case: Case) -> int:
    """Run every sample of `case`; the number of samples the phase applied to."""
    ran = 0
    for index, sample in enumerate(samples(case)):
        ran += bool(run_sample(case, sample, index))
    return ran


# --- the tests ----------------------------------------------------------------------------------

CASES = all_cases()


def _param(case: Case) -> Any:
    reason = case.xfail_reason()
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_opinfo(case: Case) -> None:
    if run_case(case) == 0:
        pytest.skip(f"no sample of {case.entry} has differentiable outputs and inputs")


@pytest.mark.parametrize("opdef", [o for o in OPS.values() if o.opinfo is not None],
                         ids=lambda o: o.name)  # fmt: skip
def test_opinfo_table_entry(opdef: OpDef) -> None:
    """Each table entry names op_db entries that exist, and each xfail key names a case."""
    entries = op_db_entries(opdef)
    spec = opdef.opinfo
    assert spec is not None
    assert entries, f"{opdef.name}: no op_db entry named {op_db_names(opdef)} {spec.variant!r}"
    keys: set[str] = set()
    for case in CASES:
        if case.opdef is opdef:
            keys.update(case.xfail_keys())
    unknown = sorted(set(spec.xfail) - keys)
    assert not unknown, f"{opdef.name}: xfail keys {unknown} match no case (cases: {sorted(keys)})"
