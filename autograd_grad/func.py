"""Same as `torch.func`: `grad`, `grad_and_value`, `vjp`, `jvp`, `jacrev`, `jacfwd`,
`hessian` and `vmap`, implemented with the matching JAX transforms.

Each transform turns the torch-style function into a pure function of arrays (See Note
[Pure functions] in _bridge.py) and applies `jax.grad`, `jax.vjp`, `jax.jvp`, `jax.jacrev`,
`jax.jacfwd` or `jax.vmap` to it, so they nest freely (`vmap(grad(f))`,
`jacfwd(jacrev(f))`) and inputs may be pytrees (a dict of parameters). Argument checks and
their messages are torch's (torch/_functorch/eager_transforms.py, vmap.py).

Deviations: tensors a function reads from its closure are constants of the transform
(pass them as arguments to differentiate or batch them: `functional_call` is how a module's
parameters become arguments); `chunk_size` is accepted and ignored (XLA batches the whole
call).

>>> import autograd_grad as torch
>>> from autograd_grad.func import grad, vmap
>>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> vmap(grad(lambda r: (r ** 2).sum()))(x)  # per-row gradients
tensor([[2., 4.],
        [6., 8.]])
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax

from . import _creation
from ._bridge import apply, is_tensor, to_arrays, to_tensors
from ._tensor import Tensor

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp",
           "vjp", "vmap"]


# --- running a JAX transform of a torch-style function -----------------------------------

def _pure(func: Callable[..., Any], kwargs: dict[str, Any], args: tuple[Any, ...],
          check: Callable[[Any], Any] | None = None) -> Callable[..., Any]:  # fmt: skip
    """`func` as a function of array pytrees like `args` (whose dicts' key order it sees,
    as torch keeps it); `check` sees (and may reshape) its output."""

    def pure(*array_args: Any) -> Any:
        out = func(*_in_order_of(to_tensors(array_args), args), **kwargs)
        if check is not None:
            out = check(out)
        outputs[:] = [out]
        return to_arrays(out)

    outputs: list[Any] = []  # the last output, whose dict key order results keep
    pure.outputs = outputs  # type: ignore[attr-defined]
    return pure


def _run(transformed: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """`transformed` (a function of the array pytrees of `args`) applied to `args`, its
    outputs as Tensors; recorded in the graph through `apply` (See Note [Pure functions])."""
    leaves, spec = jax.tree_util.tree_flatten(args, is_leaf=is_tensor)
    positions = [i for i, leaf in enumerate(leaves) if isinstance(leaf, Tensor)]
    out_spec: list[Any] = []

    def flat(*arrays: Any) -> list[Any]:
        filled = list(leaves)
        for i, a in zip(positions, arrays):
            filled[i] = a
        out = transformed(*jax.tree_util.tree_unflatten(spec, filled))
        out_leaves, treedef = jax.tree_util.tree_flatten(out)
        out_spec[:] = [treedef]
        return out_leaves

    outs = apply(flat, [leaves[i] for i in positions])
    return jax.tree_util.tree_unflatten(out_spec[0], outs)


# --- argnums (torch/_functorch/eager_transforms.py) ---------------------------------------

def _wrap_argnum(argnum: Any, num_args: int) -> int:
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _argnums(argnums: Any, num_args: int) -> int | tuple[int, ...]:
    """torch's `_slice_argnums` checks; the argnums made non-negative."""
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if isinstance(argnums, int):
        return _wrap_argnum(argnums, num_args)
    wrapped = tuple(_wrap_argnum(a, num_args) for a in argnums)
    if len(argnums) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(argnums)) != len(argnums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return wrapped


def _in_order_of(tree: Any, template: Any) -> Any:
    """`tree` with its dicts in `template`'s key order (JAX's pytrees sort dict keys; torch's
    keep insertion order)."""
    if isinstance(tree, dict) and isinstance(template, dict) and set(tree) == set(template):
        return {k: _in_order_of(tree[k], template[k]) for k in template}
    if isinstance(tree, (tuple, list)) and isinstance(template, (tuple, list)) and len(
            tree) == len(template):  # fmt: skip
        return type(tree)(_in_order_of(a, b) for a, b in zip(tree, template))
    return tree


def _split_aux(api: str, out: Any) -> tuple[Any, Any]:
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(
            f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return out


# --- grad ----------------------------------------------------------------------------------

def grad_and_value(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable[..., Any]:  # fmt: skip
    """Same as `torch.func.grad_and_value` (`jax.value_and_grad`)."""
    api = "grad_and_value(f)(*args)"

    def check(out: Any) -> Any:
        aux = None
        if has_aux:
            out, aux = _split_aux(api, out)
        if not isinstance(out, Tensor):
            raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got {type(out)}")
        if out.dim() != 0:
            raise RuntimeError(
                f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with "
                f"{out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
        return (out, aux) if has_aux else out

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args))
        pure = _pure(func, kwargs, args, check)
        transformed = jax.value_and_grad(pure, argnums=nums, has_aux=has_aux)

        def swapped(*array_args: Any) -> Any:
            value, grads = transformed(*array_args)
            return grads, value  # torch's order: (grad, value) or (grad, (value, aux))

        g, value = _run(swapped, args)
        diff_args = args[nums] if isinstance(nums, int) else tuple(args[i] for i in nums)
        return _in_order_of(g, diff_args), value

    return wrapper


def grad(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
         has_aux: bool = False) -> Callable[..., Any]:  # fmt: skip
    """Same as `torch.func.grad` (`jax.grad`): the gradient of a scalar function w.r.t. the
    arguments `argnums`; with `has_aux`, `(grad, aux)`."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


# --- vjp and jvp ---------------------------------------------------------------------------

def _check_tensors(api: str, name: str, tree: Any) -> None:
    leaves = jax.tree_util.tree_leaves(tree, is_leaf=is_tensor)
    if len(leaves) == 0:
        raise RuntimeError(f"{api}: Expected {name} to contain at least one Tensor.")
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(
                f"{api}: Expected {name} to only contain Tensors, got {type(leaf)}")


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Any:
    """Same as `torch.func.vjp` (`jax.vjp`): `(output, vjp_fn)` (and `aux`); `vjp_fn(ct)`
    gives one gradient per primal, differentiable where the primals require grad."""
    api = "vjp(f, *primals)"
    for leaf in jax.tree_util.tree_leaves(primals, is_leaf=is_tensor):
        if not isinstance(leaf, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(leaf)}")

    def check(out: Any) -> Any:
        aux = None
        if has_aux:
            out, aux = _split_aux(api, out)
        _check_tensors(api, "outputs", out)
        return (out, aux) if has_aux else out

    pure = _pure(func, {}, primals, check)
    result = _run(pure, primals)
    output, aux = result if has_aux else (result, None)
    out_spec = jax.tree_util.tree_structure(output)

    def vjp_fn(cotangents: Any) -> tuple[Any, ...]:
        if jax.tree_util.tree_structure(cotangents, is_leaf=is_tensor) != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure "
                "of outputs to the function.")

        def pulled(array_primals: Any, array_cotangents: Any) -> Any:
            _, pullback, *_ = jax.vjp(pure, *array_primals, has_aux=has_aux)
            return pullback(array_cotangents)

        return _in_order_of(tuple(_run(pulled, (primals, cotangents))), primals)

    if has_aux:
        return output, vjp_fn, aux
    return output, vjp_fn


def jvp(func: Callable[..., Any], primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> Any:  # fmt: skip
    """Same as `torch.func.jvp` (`jax.jvp`): `(output, jvp_out)` (and `aux`)."""
    api = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(
            f"{api}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    primals_spec = jax.tree_util.tree_structure(primals, is_leaf=is_tensor)
    tangents_spec = jax.tree_util.tree_structure(tangents, is_leaf=is_tensor)
    if primals_spec != tangents_spec:
        raise RuntimeError(
            f"{api}: Expected primals and tangents to have the same python structure. For "
            f"example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure ")
    _check_tensors(api, "primals", primals)
    _check_tensors(api, "tangents", tangents)

    def check(out: Any) -> Any:
        if has_aux:
            out, aux = _split_aux(api, out)
            return out, aux
        return out

    pure = _pure(func, {}, primals, check)

    def pushed(array_primals: Any, array_tangents: Any) -> Any:
        return jax.jvp(pure, array_primals, array_tangents, has_aux=has_aux)

    return _run(pushed, (primals, tuple(tangents)))


# --- Jacobians -----------------------------------------------------------------------------

def _jacobian(jax_transform: Callable[..., Any], func: Callable[..., Any], argnums: Any,
              has_aux: bool, name: str) -> Callable[..., Any]:  # fmt: skip
    api = f"{name}(f, ...)(*args)"

    def check(out: Any) -> Any:
        if has_aux:
            out, aux = _split_aux(api, out)
            return out, aux
        return out

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args))
        pure = _pure(func, kwargs, args, check)
        return _run(jax_transform(pure, argnums=nums, has_aux=has_aux), args)

    return wrapper


def jacrev(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, *,
           has_aux: bool = False, chunk_size: int | None = None,
           _preallocate_and_copy: bool = False) -> Callable[..., Any]:  # fmt: skip
    """Same as `torch.func.jacrev` (`jax.jacrev`)."""
    return _jacobian(jax.jacrev, func, argnums, has_aux, "jacrev")


def jacfwd(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False,
           *, randomness: str = "error") -> Callable[..., Any]:  # fmt: skip
    """Same as `torch.func.jacfwd` (`jax.jacfwd`)."""
    _check_randomness(randomness)
    return _jacobian(jax.jacfwd, func, argnums, has_aux, "jacfwd")


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """Same as `torch.func.hessian`: `jacfwd(jacrev(func, argnums), argnums)`."""
    return jacfwd(jacrev(func, argnums), argnums)


# --- vmap (torch/_functorch/vmap.py) -------------------------------------------------------

def _check_randomness(randomness: str) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}")


def _name(func: Any) -> str:
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return getattr(func, "__name__", repr(func))


def _broadcast_dims(dims: Any, tree: Any) -> list[Any] | None:
    """`dims` (an int, None, or a nested tuple prefix of `tree`) per leaf of `tree`."""
    if dims is None or isinstance(dims, int):
        return [dims] * len(jax.tree_util.tree_leaves(tree, is_leaf=is_tensor))
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)):
        if len(dims) != len(tree):
            return None
        out: list[Any] = []
        for d, t in zip(dims, tree):
            sub = _broadcast_dims(d, t)
            if sub is None:
                return None
            out.extend(sub)
        return out
    if isinstance(dims, dict) and isinstance(tree, dict) and set(dims) == set(tree):
        out = []
        for k in sorted(tree):
            sub = _broadcast_dims(dims[k], tree[k])
            if sub is None:
                return None
            out.extend(sub)
        return out
    return None


def vmap(func: Callable[..., Any], in_dims: Any = 0, out_dims: Any = 0,
         randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable[..., Any]:  # fmt: skip
    """Same as `torch.func.vmap` (`jax.vmap`): `in_dims`/`out_dims` as torch documents
    them; `randomness="error"` refuses random ops inside, `"same"` draws once for the whole
    batch, `"different"` draws independently per element (one key per element)."""
    _check_randomness(randomness)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        prefix = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
        if not isinstance(in_dims, (int, tuple)):
            raise ValueError(
                f"{prefix}: expected `in_dims` to be int or a (potentially nested) tuple "
                f"matching the structure of inputs, got: {type(in_dims)}.")
        if len(args) == 0:
            raise ValueError(
                f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, "
                f"or you are trying to vmap over a function with no inputs. The latter is "
                f"unsupported.")
        flat_dims = _broadcast_dims(in_dims, args)
        leaves = jax.tree_util.tree_leaves(args, is_leaf=is_tensor)
        if flat_dims is None:
            raise ValueError(
                f"{prefix}: in_dims is not compatible with the structure of `inputs`.")
        sizes = []
        for arg, d in zip(leaves, flat_dims):
            if d is not None and not isinstance(d, int):
                raise ValueError(f"{prefix}: Got in_dim={d} for an input but in_dim must be "
                                 f"either an integer dimension or None.")  # fmt: skip
            if isinstance(d, int) and not isinstance(arg, Tensor):
                raise ValueError(
                    f"{prefix}: Got in_dim={d} for an input but the input is of type "
                    f"{type(arg)}. We cannot vmap over non-Tensor arguments, please use None "
                    f"as the respective in_dim")
            if d is not None and not -arg.dim() <= d < arg.dim():
                raise ValueError(
                    f"{prefix}: Got in_dim={d} for some input, but that input is a Tensor of "
                    f"dimensionality {arg.dim()} so expected in_dim to satisfy "
                    f"-{arg.dim()} <= in_dim < {arg.dim()}.")
            if d is not None:
                sizes.append(arg.size(d))
        if not sizes:
            raise ValueError("vmap: Expected at least one Tensor to vmap over")
        if any(s != sizes[0] for s in sizes):
            raise ValueError(
                "vmap: Expected all tensors to have the same size in the mapped dimension, got "
                f"sizes {sizes} for the mapped dimension")

        pure = _pure(func, kwargs, args, functools.partial(_check_outputs, _name(func)))
        in_axes = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
        if randomness == "different":
            keys = Tensor._from_array(jax.random.key_data(
                jax.random.split(_creation.default_generator.next_key(), sizes[0])))

            def keyed(key_data: Any, *array_args: Any) -> Any:
                with _creation.random_keys(jax.random.wrap_key_data(key_data)):
                    return pure(*array_args)

            batched = jax.vmap(keyed, in_axes=(0, *in_axes), out_axes=out_dims)
            out = _run(batched, (keys, *args))
        else:

            def ruled(*array_args: Any) -> Any:
                with _creation.random_rule(randomness):
                    return pure(*array_args)

            out = _run(jax.vmap(ruled, in_axes=in_axes, out_axes=out_dims), args)
        return _in_order_of(out, pure.outputs[0])  # type: ignore[attr-defined]

    return wrapper


def _check_outputs(name: str, out: Any) -> Any:
    for leaf in jax.tree_util.tree_leaves(out, is_leaf=is_tensor):
        if not isinstance(leaf, Tensor):
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(leaf)}. "
                "Did you mean to set out_dims= to None for output?")
    return out


# --- functional_call -----------------------------------------------------------------------

def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: dict[str, Any] | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:  # fmt: skip
    """Same as `torch.func.functional_call`: `module(*args, **kwargs)` with its parameters
    and buffers replaced, for the call only, by the tensors given by name (one dict or a
    sequence of dicts), so `grad(lambda p, x: functional_call(model, p, (x,)))` works."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        merged = dict(dicts)
    else:
        merged = {}
        for d in dicts:
            for key, value in d.items():
                if key in merged:
                    raise ValueError(f"{key} appeared in multiple dictionaries; behavior of "
                                     "functional call is ambiguous")  # fmt: skip
                merged[key] = value
    if strict:
        names = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
        missing = sorted(names - set(merged))
        unexpected = sorted(set(merged) - names)
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}: "
                               f"missing {missing}, unexpected {unexpected}")  # fmt: skip
    saved = []
    try:
        for name, value in merged.items():
            path, _, leaf = name.rpartition(".")
            owner = module.get_submodule(path)
            store = owner._parameters if leaf in owner._parameters else owner._buffers
            saved.append((store, leaf, store.get(leaf)))
            store[leaf] = value
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for store, leaf, old in reversed(saved):
            store[leaf] = old
