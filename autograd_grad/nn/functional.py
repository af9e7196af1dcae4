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
    from .._dispatch import dispatch
    from .._ops import OPS

    channels = input.size(1) if input.dim() > 1 else input.numel()
    if running_mean is not None and running_mean.numel() != channels:
        raise RuntimeError(f"running_mean should contain {channels} elements not "
                           f"{running_mean.numel()}")  # fmt: skip
    out = dispatch(OPS["native_batch_norm"], (input, running_mean, running_var, weight, bias,
                                              training, eps), {})  # fmt: skip
    if training and running_mean is not None and input.numel() > 0:
        _update_running_stats(input, running_mean, running_var, momentum)
    return out


def _update_running_stats(input: Any, running_mean: Any, running_var: Any,
                          momentum: float) -> None:  # fmt: skip
    """torch's update of the running statistics in training: the batch mean, and the
    unbiased batch variance, by `momentum`, in place."""
    from .._core import no_grad

    dims = [0, *range(2, input.dim())]
    count = input.numel() // input.size(1)
    with no_grad():
        x = input.detach()
        mean = x.mean(dims)
        var = x.var(dims, unbiased=False) * (count / max(count - 1, 1))
        running_mean.mul_(1 - momentum).add_(mean, alpha=momentum)
        running_var.mul_(1 - momentum).add_(var, alpha=momentum)


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


def instance_norm(input: Any, running_mean: Any = None, running_var: Any = None,
                  weight: Any = None, bias: Any = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Any:  # fmt: skip
    """Same as `torch.nn.functional.instance_norm`: each sample's channels normalised by their
    own statistics (or the running ones); the running statistics, when given with
    `use_input_stats`, take the batch average of the per-sample statistics, in place."""
    import math

    if use_input_stats and math.prod(input.shape[2:]) == 1:  # torch: _verify_spatial_size
        raise ValueError("Expected more than 1 spatial element when training, got input size "
                         f"torch.Size({list(input.shape)})")  # fmt: skip
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")  # fmt: skip
    out = _call("instance_norm", input, running_mean, running_var, weight, bias, use_input_stats,
                momentum, eps)  # fmt: skip
    if use_input_stats and running_mean is not None and input.numel() > 0:
        from .._core import no_grad

        n, c = input.shape[0], input.shape[1]
        flat = input.detach().reshape(1, n * c, *input.shape[2:])
        with no_grad():
            mean = running_mean.repeat(n)
            var = running_var.repeat(n)
            _update_running_stats(flat, mean, var, momentum)
            running_mean.copy_(mean.view(n, c).mean(0))
            running_var.copy_(var.view(n, c).mean(0))
    return out


# --- torch-level functions whose op needs Python around it (running statistics in place) ---

def _native_batch_norm_legit(input: Any, weight: Any, bias: Any, running_mean: Any,
                             running_var: Any, training: Any = None, momentum: Any = None,
                             eps: Any = None) -> Any:  # fmt: skip
    """Same as `torch._native_batch_norm_legit` (both overloads): (out, save_mean,
    save_invstd), the running statistics updated in place in training."""
    if isinstance(running_mean, bool):  # the no_stats overload
        return _call("_native_batch_norm_legit", input, weight, bias, running_mean, running_var,
                     training)  # fmt: skip
    out = _call("_native_batch_norm_legit", input, weight, bias, running_mean, running_var,
                training, momentum, eps)  # fmt: skip
    if training and input.numel() > 0:
        _update_running_stats(input, running_mean, running_var, momentum)
    return out


def _batch_norm_with_update(input: Any, weight: Any, bias: Any, running_mean: Any,
                            running_var: Any, momentum: float, eps: float) -> Any:  # fmt: skip
    """Same as `torch.ops.aten._batch_norm_with_update`: batch norm in training, the running
    statistics updated in place; (out, save_mean, save_invstd, reserve)."""
    out = _call("_batch_norm_with_update", input, weight, bias, running_mean, running_var,
                momentum, eps)  # fmt: skip
    if input.numel() > 0:
        _update_running_stats(input, running_mean, running_var, momentum)
    return out


def _torch_level(*fns: Any) -> None:
    import sys

    from .._bind import NAMESPACES

    package = sys.modules[__name__.rsplit(".", 2)[0]]
    for fn in fns:
        NAMESPACES["torch"][fn.__name__] = fn
        setattr(package, fn.__name__, fn)


_torch_level(_native_batch_norm_legit, _batch_norm_with_update)


def _random_key(generator: Any = None) -> Any:
    import jax

    from .._creation import default_generator
    from .._tensor import Tensor

    key = (generator or default_generator).next_key()
    return Tensor._from_array(jax.random.key_data(key))


def rrelu(input: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Any:  # fmt: skip
    """Same as `torch.nn.functional.rrelu` (the random slopes come from our generator)."""
    key = _random_key() if training else None
    out = _call("rrelu", input, lower, upper, training, key)
    if inplace:
        from .._bind import assign, check_inplace

        check_inplace(input)
        return assign(input, out)
    return out


def embedding(input: Any, weight: Any, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Any:  # fmt: skip
    """Same as `torch.nn.functional.embedding`: `padding_idx`'s row gets no gradient;
    `max_norm` renormalises the looked-up rows of `weight` in place first."""
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.size(0), "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.size(0), "Padding_idx must be within num_embeddings"
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        from .._core import no_grad

        with no_grad():  # torch: embedding_renorm_
            rows = input.reshape(-1)  # a repeated row is written twice with the same value
            picked = weight[rows]
            norms = picked.norm(norm_type, 1, keepdim=True)
            scale = (norms > max_norm) * (max_norm / (norms + 1e-7) - 1) + 1
            weight[rows] = picked * scale
    return _call("embedding", input, weight, padding_idx, scale_grad_by_freq)


# --- dropout: the mask's key drawn here, the op records the product ---------------------------

def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _apply_dropout(name: str, input: Any, p: float, train: bool, inplace: bool = False) -> Any:
    """torch's _dropout_impl: the input itself for p = 0, in eval or when empty; else the op,
    with a fresh key from our generator (p = 1 needs none)."""
    if p == 0 or not train or input.numel() == 0:
        return input
    out = _call(name, input, p, None if p == 1 else _random_key())
    if inplace:
        from .._bind import assign, check_inplace

        check_inplace(input)
        return assign(input, out)
    return out


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """Same as `torch.nn.functional.dropout` (the mask comes from our generator)."""
    _check_p(p)
    return _apply_dropout("dropout", input, p, training, inplace)


def alpha_dropout(input: Any, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Any:  # fmt: skip
    """Same as `torch.nn.functional.alpha_dropout` (the mask comes from our generator)."""
    _check_p(p)
    return _apply_dropout("alpha_dropout", input, p, training, inplace)


def feature_alpha_dropout(input: Any, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Any:  # fmt: skip
    """Same as `torch.nn.functional.feature_alpha_dropout`: whole channels dropped."""
    _check_p(p)
    return _apply_dropout("feature_alpha_dropout", input, p, training, inplace)


def _channel_dropout(name: str, input: Any, p: float, training: bool, inplace: bool,
                     batched: bool) -> Any:  # fmt: skip
    if batched:
        return _apply_dropout(name, input, p, training, inplace)
    if inplace:
        out = _apply_dropout(name, input.unsqueeze_(0), p, training, inplace)
        return out.squeeze_(0)
    return _apply_dropout(name, input.unsqueeze(0), p, training).squeeze(0)


def dropout1d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """Same as `torch.nn.functional.dropout1d`: whole channels of (N, C, L) or (C, L) input."""
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
            "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout("feature_dropout", input, p, training, inplace, input.dim() == 3)


def dropout2d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """Same as `torch.nn.functional.dropout2d` (3-D input is (N, C, L), as torch's warning
    says)."""
    import warnings

    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if inp_dim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _apply_dropout("dropout2d", input, p, training, inplace)


def dropout3d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """Same as `torch.nn.functional.dropout3d`: whole channels of (N, C, D, H, W) or
    (C, D, H, W) input."""
    import warnings

    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    return _channel_dropout("dropout3d", input, p, training, inplace, inp_dim == 5)


def _torch_dropout(name: str) -> Any:
    def fn(input: Any, p: float, train: bool) -> Any:
        return _apply_dropout(name, input, p, train)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Same as `torch.{name}` (the mask comes from our generator)."
    return fn


def _torch_rrelu(input: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 training: bool = False, generator: Any = None) -> Any:  # fmt: skip
    """Same as `torch.rrelu` (the slopes come from our generator)."""
    key = _random_key(generator) if training else None
    return _call("rrelu", input, lower, upper, training, key)


_torch_rrelu.__name__ = _torch_rrelu.__qualname__ = "rrelu"
_torch_level(_torch_rrelu, *(_torch_dropout(n) for n in ("dropout", "feature_dropout", "alpha_dropout",
                                                  "feature_alpha_dropout")))  # fmt: skip


# --- attention ------------------------------------------------------------------------------

def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, enable_gqa: bool = False) -> Any:  # fmt: skip
    """Same as `torch.nn.functional.scaled_dot_product_attention` (torch's math kernel, which
    its CPU build runs when grads are needed; dropout masks come from our generator)."""
    key_t = _random_key() if 0 < dropout_p < 1 else None
    return _call("scaled_dot_product_attention", query, key, value, attn_mask, dropout_p,
                 is_causal, scale, enable_gqa, key_t)  # fmt: skip


def _none_or_dtype(input: Any) -> Any:
    return None if input is None else input.dtype


def _canonical_mask(mask: Any, mask_name: str, other_type: Any, other_name: str,
                    target_type: Any, check_other: bool = True) -> Any:  # fmt: skip
    """torch's _canonical_mask: a boolean mask as an additive one (-inf where True)."""
    import warnings

    import autograd_grad as torch

    if mask is None:
        return None
    is_float = mask.dtype.is_floating_point
    if mask.dtype is not torch.bool and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype is not other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
                      "same type for both instead.", stacklevel=2)  # fmt: skip
    if not is_float:
        mask = torch.zeros_like(mask, dtype=target_type).masked_fill_(mask, float("-inf"))
    return mask


def _mha_shape_check(query: Any, key: Any, value: Any, key_padding_mask: Any, attn_mask: Any,
                     num_heads: int) -> bool:  # fmt: skip
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                    f"but found {attn_mask.dim()}-D tensor instead")
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                         f"{attn_mask.shape}")  # fmt: skip
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.dim()}-D query tensor")  # fmt: skip


def _in_projection_packed(q: Any, k: Any, v: Any, w: Any, b: Any = None) -> tuple[Any, Any, Any]:
    E = q.size(-1)
    if k is v:
        if q is k:
            proj = linear(q, w, b)  # noqa: F821 - from the op table
            proj = proj.unflatten(-1, (3, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
            return proj[0], proj[1], proj[2]
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        q_proj = linear(q, w_q, b_q)  # noqa: F821
        kv_proj = linear(k, w_kv, b_kv)  # noqa: F821
        kv_proj = kv_proj.unflatten(-1, (2, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        return q_proj, kv_proj[0], kv_proj[1]
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)  # noqa: F821


def _in_projection(q: Any, k: Any, v: Any, w_q: Any, w_k: Any, w_v: Any, b_q: Any = None,
                   b_k: Any = None, b_v: Any = None) -> tuple[Any, Any, Any]:  # fmt: skip
    Eq, Ek, Ev = q.size(-1), k.size(-1), v.size(-1)
    for name, w, shape in (("query", w_q, (Eq, Eq)), ("key", w_k, (Eq, Ek)),
                           ("value", w_v, (Eq, Ev))):  # fmt: skip
        if tuple(w.shape) != shape:
            raise AssertionError(f"expecting {name} weights shape of {shape}, but got "
                                 f"{tuple(w.shape)}")  # fmt: skip
    for name, b in (("query", b_q), ("key", b_k), ("value", b_v)):
        if b is not None and tuple(b.shape) != (Eq,):
            raise AssertionError(f"expecting {name} bias shape of {(Eq,)}, but got "
                                 f"{tuple(b.shape)}")  # fmt: skip
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)  # noqa: F821


def _split_heads(x: Any, static: Any, name: str, heads: int, head_dim: int) -> Any:
    """(L, N, E) -> (N * heads, L, head_dim), or the given static keys/values, checked."""
    if static is None:
        return x.view(x.shape[0], heads, head_dim).transpose(0, 1)
    if static.size(0) != heads:
        raise AssertionError(f"expecting {name}.size(0) of {heads}, but got {static.size(0)}")
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.size(2)}")
    return static


def multi_head_attention_forward(
        query: Any, key: Any, value: Any, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Any, in_proj_bias: Any, bias_k: Any, bias_v: Any, add_zero_attn: bool,
        dropout_p: float, out_proj_weight: Any, out_proj_bias: Any, training: bool = True,
        key_padding_mask: Any = None, need_weights: bool = True, attn_mask: Any = None,
        use_separate_proj_weight: bool = False, q_proj_weight: Any = None,
        k_proj_weight: Any = None, v_proj_weight: Any = None, static_k: Any = None,
        static_v: Any = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Any, Any]:  # fmt: skip
    """Same as `torch.nn.functional.multi_head_attention_forward`: torch's composition step
    by step (so grad_fn names and errors match), dropout masks from our generator."""
    import math

    import autograd_grad as torch

    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)  # fmt: skip
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
            "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # sdpa's is_causal makes the mask
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)  # fmt: skip
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got "
                             f"{embed_dim}")  # fmt: skip
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")  # fmt: skip
    elif key.shape != value.shape:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight "
                                     "is None")  # fmt: skip
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight,
                                 b_q, b_k, b_v)  # fmt: skip
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")  # fmt: skip
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")  # fmt: skip
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = torch.cat([k, bias_k.repeat(1, bsz, 1)])
        v = torch.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))  # noqa: F821
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))  # noqa: F821
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")
    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _split_heads(k, static_k, "static_k", bsz * num_heads, head_dim)
    v = _split_heads(v, static_v, "static_v", bsz * num_heads, head_dim)
    if add_zero_attn:
        zero_attn_shape = (bsz * num_heads, 1, head_dim)
        k = torch.cat([k, torch.zeros(zero_attn_shape, dtype=k.dtype)], dim=1)
        v = torch.cat([v, torch.zeros(zero_attn_shape, dtype=v.dtype)], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))  # noqa: F821
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))  # noqa: F821
    src_len = k.size(1)
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")  # fmt: skip
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")  # fmt: skip
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(
            -1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)  # fmt: skip
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0
    if need_weights:
        E = q.shape[2]
        q_scaled = q * math.sqrt(1.0 / float(E))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        if attn_mask is not None:
            attn_output_weights = torch.baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
        else:
            attn_output_weights = torch.bmm(q_scaled, k.transpose(-2, -1))
        attn_output_weights = softmax(attn_output_weights, dim=-1)  # noqa: F821
        if dropout_p > 0.0:
            attn_output_weights = dropout(attn_output_weights, p=dropout_p)
        attn_output = torch.bmm(attn_output_weights, v)
        attn_output = attn_output.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        attn_output = linear(attn_output, out_proj_weight, out_proj_bias)  # noqa: F821
        attn_output = attn_output.view(tgt_len, bsz, attn_output.size(1))
        attn_output_weights = attn_output_weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            attn_output_weights = attn_output_weights.mean(dim=1)
        if not is_batched:
            attn_output = attn_output.squeeze(1)
            attn_output_weights = attn_output_weights.squeeze(0)
        return attn_output, attn_output_weights
    if attn_mask is not None:
        if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    attn_output = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    attn_output = attn_output.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    attn_output = linear(attn_output, out_proj_weight, out_proj_bias)  # noqa: F821
    attn_output = attn_output.view(tgt_len, bsz, attn_output.size(1))
    if not is_batched:
        attn_output = attn_output.squeeze(1)
    return attn_output, None


def embedding_bag(input: Any, weight: Any, offsets: Any = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights: Any = None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Any:  # fmt: skip
    """Same as `torch.nn.functional.embedding_bag` (sum, mean or max of each bag's rows)."""
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.size(0), "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.size(0), "Padding_idx must be within num_embeddings"
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then "
            f"it must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch "
                "of fixed length sequences. However, found offsets of type "
                f"{type(offsets).__name__}")
        import autograd_grad as torch

        offsets = torch.arange(0, input.numel(), input.size(1), dtype=input.dtype)
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if scale_grad_by_freq:
        # torch's CPU kernel scales by counts that do not follow the documented per-index
        # frequency (an index seen once can get 1/3); rather than guess, refuse.
        raise NotImplementedError("embedding_bag: scale_grad_by_freq=True is not supported here")
    if max_norm is not None:
        embedding(input, weight, max_norm=max_norm, norm_type=norm_type)  # renorms in place
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported "
            f"for mode='sum' (got mode='{mode}'). Please open a feature request on GitHub.")
    return _call("embedding_bag", input, weight, offsets, mode, per_sample_weights,
                 include_last_offset, padding_idx)  # fmt: skip


def triplet_margin_with_distance_loss(anchor: Any, positive: Any, negative: Any, *,
                                      distance_function: Any = None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Any:  # fmt: skip
    """Same as `torch.nn.functional.triplet_margin_with_distance_loss`."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    from .._ops.nn import check_triplet

    check_triplet(anchor, positive, negative, margin)
    distance = pairwise_distance if distance_function is None else distance_function  # noqa: F821
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    dist_swap = distance(positive, negative) if swap else None
    return _call("triplet_margin_with_distance_loss", dist_pos, dist_neg, dist_swap, margin,
                 reduction=reduction)  # fmt: skip
