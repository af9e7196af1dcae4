"""Same as `torch.nn.functional`; functions generated from the op table."""

from typing import Any

from .._bind import NAMESPACES

globals().update(NAMESPACES["nn.functional"])
globals().update({name: NAMESPACES["torch"][name] for name in ("relu", "sigmoid", "tanh")})


def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None,
               bias: Any = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Any:  # fmt: skip
    """Same as `torch.nn.functional.batch_norm`: in training, the batch statistics normalise
    and the running statistics (when given) are updated in place, torch's way (the running
    variance takes the unbiased batch variance)."""
    from .._core import no_grad
    from .._dispatch import dispatch
    from .._ops import OPS

    channels = input.size(1) if input.dim() > 1 else input.numel()
    if running_mean is not None and running_mean.numel() != channels:
        raise RuntimeError(f"running_mean should contain {channels} elements not "
                           f"{running_mean.numel()}")  # fmt: skip
    out = dispatch(OPS["native_batch_norm"], (input, running_mean, running_var, weight, bias,
                                              training, eps), {})  # fmt: skip
    if training and running_mean is not None and input.numel() > 0:
        dims = [0, *range(2, input.dim())]
        count = input.numel() // input.size(1)
        with no_grad():
            x = input.detach()
            mean = x.mean(dims)
            var = x.var(dims, unbiased=False) * (count / max(count - 1, 1))
            running_mean.mul_(1 - momentum).add_(mean, alpha=momentum)
            running_var.mul_(1 - momentum).add_(var, alpha=momentum)
    return out


def _max_pool(n: int) -> Any:
    from .._dispatch import dispatch
    from .._ops import OPS

    def max_pool(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:  # fmt: skip
        name = f"max_pool{n}d_with_indices" if return_indices else f"max_pool{n}d"
        return dispatch(OPS[name], (input, kernel_size, stride, padding, dilation, ceil_mode), {})

    max_pool.__name__ = f"max_pool{n}d"
    max_pool.__doc__ = f"Same as `torch.nn.functional.max_pool{n}d` (`return_indices` too)."
    return max_pool


max_pool1d, max_pool2d, max_pool3d = _max_pool(1), _max_pool(2), _max_pool(3)


def _call(name: str, *args: Any, **kwargs: Any) -> Any:
    from .._dispatch import dispatch
    from .._ops import OPS

    return dispatch(OPS[name], args, kwargs)


def _no_grad_target(target: Any) -> Any:
    # torch differentiates these losses only through comparisons of the target (where its
    # value picks a branch): the target gets no gradient, not a zero one.
    return target.detach() if target.requires_grad else target


def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0,
                          size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Any:  # fmt: skip
    """Same as `torch.nn.functional.cosine_embedding_loss`."""
    return _call("cosine_embedding_loss", input1, input2, _no_grad_target(target), margin,
                 size_average, reduce, reduction)  # fmt: skip


def hinge_embedding_loss(input: Any, target: Any, margin: float = 1.0, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean") -> Any:  # fmt: skip
    """Same as `torch.nn.functional.hinge_embedding_loss`."""
    return _call("hinge_embedding_loss", input, _no_grad_target(target), margin, size_average,
                 reduce, reduction)  # fmt: skip


def soft_margin_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
                     reduction: str = "mean") -> Any:  # fmt: skip
    """Same as `torch.nn.functional.soft_margin_loss` (the target is not differentiable)."""
    if target.requires_grad:
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect "
                           "to argument 'target'. This input cannot have requires_grad True.")  # fmt: skip
    return _call("soft_margin_loss", input, target, size_average, reduce, reduction)
