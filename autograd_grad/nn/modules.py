"""Same as `torch.nn` modules: `Module`, `Parameter`, containers, layers and losses.

A module holds Parameters (leaf tensors that require grad) and buffers by name, as torch's
does; its forward is ordinary torch-style code over `nn.functional`, so everything the
facade records (grad, backward, create_graph, torch.func) works through modules unchanged.
Initial weights follow torch's default initialisations on our RNG (the streams differ from
torch's: load torch's `state_dict` to start from the same numbers).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .._core import RemovableHandle, Value, no_grad
from .._tensor import Tensor
from . import functional as F
from . import init

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "ELU", "Flatten", "GELU",
    "Identity", "L1Loss", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "Module",
    "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "ReLU", "SiLU", "Sequential", "Sigmoid",
    "SmoothL1Loss", "Softmax", "Softplus", "Tanh", "HuberLoss", "Embedding", "Bilinear",
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm", "MaxPool1d", "MaxPool2d", "MaxPool3d",
    "AvgPool1d", "AvgPool2d", "AvgPool3d",
]  # fmt: skip


class Parameter(Tensor):
    """Same as `torch.nn.Parameter`: a leaf tensor that a Module registers by name."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            from .._creation import empty

            data = empty(0)
        p = Tensor.__new__(cls)
        p._value = Value(data._value.data)  # a fresh leaf over the same array
        p._grad = None
        p._retains_grad = False
        if requires_grad:
            p._set_requires_grad(True)
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (Parameter, (Tensor._from_array(self._value.data), self.requires_grad))


def zero_grads(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    """torch's zero_grad (Module's and Optimizer's): `.grad` to None, or detached and zeroed."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad = p.grad.detach()
            p.grad.zero_()


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    rest = [(" " * spaces) + line if line.strip() else "" for line in lines]
    return first + "\n" + "\n".join(rest)


class _IncompatibleKeys(tuple):  # type: ignore[type-arg]
    """torch's `load_state_dict` result: (missing_keys, unexpected_keys)."""

    def __new__(cls, missing_keys: list[str], unexpected_keys: list[str]) -> _IncompatibleKeys:
        return super().__new__(cls, (missing_keys, unexpected_keys))

    @property
    def missing_keys(self) -> list[str]:
        return self[0]

    @property
    def unexpected_keys(self) -> list[str]:
        return self[1]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")  # fmt: skip

    __str__ = __repr__


class Module:
    """Same as `torch.nn.Module`."""

    training: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given")  # fmt: skip
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    # --- attributes: parameters, buffers and submodules by name ---------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self.__dict__.pop(name, None)
            self._buffers.pop(name, None)
            self._modules.pop(name, None)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")  # fmt: skip
            params[name] = None
            return
        modules = self.__dict__.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self.__dict__.pop(name, None)
            self._parameters.pop(name, None)
            self._buffers.pop(name, None)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (torch.nn.Module or None expected)")  # fmt: skip
            modules[name] = None
            return
        buffers = self.__dict__.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(torch.Tensor or None expected)")  # fmt: skip
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (torch.nn.Parameter or None required)")  # fmt: skip
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(torch Tensor or None required)")  # fmt: skip
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        module = self
        for item in target.split(".") if target else []:
            if item not in module._modules:
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = module._modules[item]
        return module

    def get_parameter(self, target: str) -> Parameter:
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"{module._get_name()} has no parameter `{name}`")
        return module._parameters[name]

    # --- iteration ---------------------------------------------------------------------------
    def _named_members(self, get: Callable[[Module], Iterable[tuple[str, Any]]], prefix: str = "",
                       recurse: bool = True,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Any]]:  # fmt: skip
        memo: set[int] = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])  # fmt: skip
        for module_prefix, module in modules:
            for k, v in get(module):
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield module_prefix + ("." if module_prefix else "") + k, v

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True,
                         ) -> Iterator[tuple[str, Parameter]]:  # fmt: skip
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                   remove_duplicate)  # fmt: skip

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:  # fmt: skip
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                   remove_duplicate)  # fmt: skip

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_children(self) -> Iterator[tuple[str, Module]]:
        memo: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:  # fmt: skip
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name,
                                            remove_duplicate)  # fmt: skip

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    # --- modes and gradients ---------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grads(self.parameters(), set_to_none)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply_to_tensors(self, fn: Callable[[Tensor], Tensor]) -> Module:
        for module in self.modules():
            for name, p in module._parameters.items():
                if p is not None:
                    with no_grad():
                        moved = fn(p)
                    p._set_value(Value(moved._value.data, requires_grad=p.requires_grad))
                    if p.grad is not None:
                        p.grad = fn(p.grad)
            for name, b in module._buffers.items():
                if b is not None:
                    module._buffers[name] = fn(b)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Same as `Module.to(device/dtype)`: floating parameters and buffers converted in
        place (the Parameters keep their identity)."""

        def convert(t: Tensor) -> Tensor:
            if t.dtype.is_floating_point or t.dtype.is_complex:
                return t.to(*args, **kwargs)
            rest = [a for a in args if not hasattr(a, "is_floating_point")]
            return t.to(*rest, **{k: v for k, v in kwargs.items() if k != "dtype"})

        return self._apply_to_tensors(convert)

    def float(self) -> Module:
        from .._dtype import float32

        return self.to(float32)

    def double(self) -> Module:
        from .._dtype import float64

        return self.to(float64)

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device: Any = None) -> Module:
        return self.to("cuda" if device is None else device)

    # --- state -------------------------------------------------------------------------------
    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:  # fmt: skip
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)  # fmt: skip
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:  # fmt: skip
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = OrderedDict(self.named_parameters(remove_duplicate=False))
        for module_name, module in self.named_modules(remove_duplicate=False):
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers_set:
                    own[module_name + ("." if module_name else "") + name] = b
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors: list[str] = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            source = state_dict[key]
            source = source if isinstance(source, Tensor) else _as_tensor(source)
            if tuple(source.shape) != tuple(target.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{source.shape} from checkpoint, the shape in current model is "
                              f"{target.shape}.")  # fmt: skip
                continue
            array = source.detach().to(target.dtype)._value.data
            target._set_value(Value(array, requires_grad=target.requires_grad))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    # --- calling -----------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        return _register(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        return _register(self._forward_pre_hooks, hook)

    # --- printing ----------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2)
                       for key, module in self._modules.items()]  # fmt: skip
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self) -> list[str]:
        return sorted(set(object.__dir__(self)) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))  # fmt: skip


class _DictHandle(RemovableHandle):
    def __init__(self, hooks: OrderedDict[int, Any], key: int) -> None:
        self._dict = hooks
        self.id = key

    def remove(self) -> None:
        self._dict.pop(self.id, None)


def _register(hooks: OrderedDict[int, Any], hook: Callable[..., Any]) -> RemovableHandle:
    key = next(RemovableHandle._ids)
    hooks[key] = hook
    return _DictHandle(hooks, key)


def _as_tensor(x: Any) -> Tensor:
    from .._creation import tensor

    return tensor(x)


# --- containers ----------------------------------------------------------------------------

class Sequential(Module):
    """Same as `torch.nn.Sequential`."""

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

    def forward(self, input: Any) -> Any:
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        return items[idx][1]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """Same as `torch.nn.ModuleList`."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for module in modules or ():
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, idx: int | slice) -> Any:
        items = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(items[idx])
        return items[idx]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[idx]
        self._modules[key] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    """Same as `torch.nn.ModuleDict`."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        for key, module in (modules or {}).items():
            self[key] = module

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        return self._modules.values()


# --- layers --------------------------------------------------------------------------------

def _empty(*shape: int) -> Tensor:
    from .._creation import empty

    return empty(*shape)


class Identity(Module):
    """Same as `torch.nn.Identity`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


def _weight_and_bias(module: Module, shape: tuple[int, ...], out_features: int, bias: bool,
                     device: Any, dtype: Any) -> None:  # fmt: skip
    """Linear's and the convolutions' parameters, initialised by their `reset_parameters`."""
    module.weight = Parameter(_empty(*shape))
    if bias:
        module.bias = Parameter(_empty(out_features))
    else:
        module.register_parameter("bias", None)
    module.reset_parameters()  # type: ignore[attr-defined]
    if dtype is not None or device is not None:
        module.to(*(a for a in (device, dtype) if a is not None))


def _kaiming_reset(module: Module) -> None:
    """torch's default for Linear and convolutions: kaiming_uniform_(a=sqrt(5)) weights, bias
    uniform in +-1/sqrt(fan_in)."""
    init.kaiming_uniform_(module.weight, a=math.sqrt(5))
    if module.bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(module.weight)
        if fan_in != 0:
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(module.bias, -bound, bound)


class Linear(Module):
    """Same as `torch.nn.Linear`: y = x W^T + b, torch's default initialisation."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:  # fmt: skip
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in_features), out_features, bias, device, dtype)

    def reset_parameters(self) -> None:
        _kaiming_reset(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")  # fmt: skip


class Bilinear(Module):
    """Same as `torch.nn.Bilinear`: y = x1^T A x2 + b."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True) -> None:  # fmt: skip
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(_empty(out_features, in1_features, in2_features))
        if bias:
            self.bias = Parameter(_empty(out_features))
        else:
            self.register_parameter("bias", None)
        bound = 1 / math.sqrt(in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")  # fmt: skip


class Embedding(Module):
    """Same as `torch.nn.Embedding` (weights from N(0, 1), `padding_idx` row zero)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 _weight: Tensor | None = None) -> None:  # fmt: skip
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None and padding_idx < 0:
            padding_idx += num_embeddings
        self.padding_idx = padding_idx
        self.weight = Parameter(_weight if _weight is not None
                                else _empty(num_embeddings, embedding_dim))  # fmt: skip
        if _weight is None:
            init.normal_(self.weight)
            if padding_idx is not None:
                with no_grad():
                    self.weight[padding_idx] = 0.0

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


class LayerNorm(Module):
    """Same as `torch.nn.LayerNorm`."""

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True) -> None:  # fmt: skip
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_empty(*self.normalized_shape))
            init.ones_(self.weight)
            if bias:
                self.bias = Parameter(_empty(*self.normalized_shape))
                init.zeros_(self.bias)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")  # fmt: skip


class Dropout(Module):
    """Same as `torch.nn.Dropout`: zeroes elements with probability p in training, scales the
    rest by 1/(1-p); the identity in eval mode. (Our RNG: the masks differ from torch's.)"""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Flatten(Module):
    """Same as `torch.nn.Flatten`."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def _activation(name: str, fn: Callable[..., Tensor], params: tuple[tuple[str, Any], ...] = (),
                repr_fmt: str | None = None) -> type[Module]:  # fmt: skip
    """An activation module over an nn.functional function, with torch's arguments."""

    def __init__(self: Module, *args: Any, **kwargs: Any) -> None:
        Module.__init__(self)
        values = dict(params)
        for (key, _), value in zip(params, args):
            values[key] = value
        values.update(kwargs)
        for key, value in values.items():
            object.__setattr__(self, key, value)

    def forward(self: Module, input: Tensor) -> Tensor:
        kwargs = {k: getattr(self, k) for k, _ in params if k != "inplace"}
        return fn(input, **kwargs)

    def extra_repr(self: Module) -> str:
        if repr_fmt is None:
            return ""
        return repr_fmt.format(**{k: getattr(self, k) for k, _ in params})

    cls = type(name, (Module,), {"__init__": __init__, "forward": forward,
                                 "extra_repr": extra_repr,
                                 "__doc__": f"Same as `torch.nn.{name}`."})  # fmt: skip
    return cls


ReLU = _activation("ReLU", F.relu, (("inplace", False),))
Tanh = _activation("Tanh", F.tanh)
Sigmoid = _activation("Sigmoid", F.sigmoid)
SiLU = _activation("SiLU", F.silu, (("inplace", False),))
GELU = _activation("GELU", F.gelu, (("approximate", "none"),), "approximate='{approximate}'")
ELU = _activation("ELU", F.elu, (("alpha", 1.0), ("inplace", False)), "alpha={alpha}")
LeakyReLU = _activation("LeakyReLU", F.leaky_relu, (("negative_slope", 0.01), ("inplace", False)),
                        "negative_slope={negative_slope}")  # fmt: skip
Softplus = _activation("Softplus", F.softplus, (("beta", 1.0), ("threshold", 20.0)),
                       "beta={beta}, threshold={threshold}")  # fmt: skip
Softmax = _activation("Softmax", F.softmax, (("dim", None),), "dim={dim}")
LogSoftmax = _activation("LogSoftmax", F.log_softmax, (("dim", None),), "dim={dim}")


# --- losses --------------------------------------------------------------------------------

def _loss(name: str, fn: Callable[..., Tensor],
          params: tuple[tuple[str, Any], ...] = ()) -> type[Module]:  # fmt: skip
    def __init__(self: Module, *args: Any, reduction: str = "mean", **kwargs: Any) -> None:
        Module.__init__(self)
        values = dict(params)
        for (key, _), value in zip(params, args):
            values[key] = value
        values.update(kwargs)
        self.reduction = reduction
        for key, value in values.items():
            if isinstance(value, Tensor):
                self.register_buffer(key, value)
            else:
                object.__setattr__(self, key, value)

    def forward(self: Module, input: Tensor, target: Tensor) -> Tensor:
        kwargs = {k: getattr(self, k) for k, _ in params}
        return fn(input, target, reduction=self.reduction, **kwargs)

    return type(name, (Module,), {"__init__": __init__, "forward": forward,
                                  "__doc__": f"Same as `torch.nn.{name}`."})  # fmt: skip


MSELoss = _loss("MSELoss", F.mse_loss)
L1Loss = _loss("L1Loss", F.l1_loss)
SmoothL1Loss = _loss("SmoothL1Loss", F.smooth_l1_loss, (("beta", 1.0),))
HuberLoss = _loss("HuberLoss", F.huber_loss, (("delta", 1.0),))
CrossEntropyLoss = _loss("CrossEntropyLoss", F.cross_entropy,
                         (("weight", None), ("ignore_index", -100),
                          ("label_smoothing", 0.0)))  # fmt: skip
NLLLoss = _loss("NLLLoss", F.nll_loss, (("weight", None), ("ignore_index", -100)))
BCELoss = _loss("BCELoss", F.binary_cross_entropy, (("weight", None),))
BCEWithLogitsLoss = _loss("BCEWithLogitsLoss", F.binary_cross_entropy_with_logits,
                          (("weight", None), ("pos_weight", None)))  # fmt: skip


# --- convolutions --------------------------------------------------------------------------

class _ConvNd(Module):
    """torch's `_ConvNd`: weight (out, in / groups, *kernel), torch's default init."""

    _n = 0
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None,
                 output_padding: Any = 0) -> None:  # fmt: skip
        super().__init__()
        n = self._n
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode != "zeros":
            raise NotImplementedError(f"padding_mode={padding_mode!r}: only 'zeros' is "
                                      "supported here")  # fmt: skip

        def as_tuple(v: Any) -> tuple[int, ...]:
            return (v,) * n if isinstance(v, int) else tuple(v)

        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = as_tuple(kernel_size)
        self.stride = as_tuple(stride)
        self.padding = padding if isinstance(padding, str) else as_tuple(padding)
        self.dilation = as_tuple(dilation)
        self.output_padding = as_tuple(output_padding)
        self.groups = groups
        self.padding_mode = padding_mode
        if self._transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        _weight_and_bias(self, shape, out_channels, bias, device, dtype)

    def reset_parameters(self) -> None:
        _kaiming_reset(self)

    def extra_repr(self) -> str:
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        return s.format(**self.__dict__)

    def forward(self, input: Tensor) -> Tensor:
        n = self._n
        if self._transposed:
            fn = getattr(F, f"conv_transpose{n}d")
            return fn(input, self.weight, self.bias, self.stride, self.padding,
                      self.output_padding, self.groups, self.dilation)  # fmt: skip
        fn = getattr(F, f"conv{n}d")
        return fn(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                  self.groups)  # fmt: skip


def _conv_module(name: str, n: int, transposed: bool) -> type[Module]:
    doc = f"Same as `torch.nn.{name}`."
    if transposed:
        def __init__(self: Any, in_channels: int, out_channels: int, kernel_size: Any,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     bias: bool = True, dilation: Any = 1, padding_mode: str = "zeros",
                     device: Any = None, dtype: Any = None) -> None:  # fmt: skip
            _ConvNd.__init__(self, in_channels, out_channels, kernel_size, stride, padding,
                             dilation, groups, bias, padding_mode, device, dtype,
                             output_padding)  # fmt: skip

        return type(name, (_ConvNd,), {"_n": n, "_transposed": True, "__init__": __init__,
                                       "__doc__": doc})  # fmt: skip
    return type(name, (_ConvNd,), {"_n": n, "__doc__": doc})


Conv1d = _conv_module("Conv1d", 1, False)
Conv2d = _conv_module("Conv2d", 2, False)
Conv3d = _conv_module("Conv3d", 3, False)
ConvTranspose1d = _conv_module("ConvTranspose1d", 1, True)
ConvTranspose2d = _conv_module("ConvTranspose2d", 2, True)
ConvTranspose3d = _conv_module("ConvTranspose3d", 3, True)


# --- normalisation with running statistics -------------------------------------------------

class _BatchNorm(Module):
    """torch's `_BatchNorm`: affine weight/bias, running_mean/running_var/num_batches_tracked
    buffers, batch statistics in training (updating the running ones), running ones in eval."""

    _dims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:  # fmt: skip
        super().__init__()
        from .._creation import ones, tensor, zeros

        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(ones(num_features)) if affine else None
        self.bias = Parameter(zeros(num_features)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features))
            self.register_buffer("running_var", ones(num_features))
            self.register_buffer("num_batches_tracked", tensor(0))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() not in self._dims:
            expected = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"expected {expected} input (got {input.dim()}D input)")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        tracked = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if tracked else None,
                            self.running_var if tracked else None, self.weight, self.bias,
                            use_batch, factor, self.eps)  # fmt: skip

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")  # fmt: skip


class BatchNorm1d(_BatchNorm):
    """Same as `torch.nn.BatchNorm1d`."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Same as `torch.nn.BatchNorm2d`."""

    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Same as `torch.nn.BatchNorm3d`."""

    _dims = (5,)


class GroupNorm(Module):
    """Same as `torch.nn.GroupNorm`."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:  # fmt: skip
        super().__init__()
        from .._creation import ones, zeros

        if num_channels % num_groups != 0:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = (num_groups, num_channels,
                                                                     eps, affine)  # fmt: skip
        self.weight = Parameter(ones(num_channels)) if affine else None
        self.bias = Parameter(zeros(num_channels)) if affine and bias else None

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")  # fmt: skip


# --- pooling -------------------------------------------------------------------------------

def _pool_module(name: str, n: int, kind: str) -> type[Module]:
    if kind == "max":
        def __init__(self: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                     dilation: Any = 1, return_indices: bool = False,
                     ceil_mode: bool = False) -> None:  # fmt: skip
            Module.__init__(self)
            self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
            self.padding, self.dilation = padding, dilation
            self.return_indices, self.ceil_mode = return_indices, ceil_mode

        def forward(self: Any, input: Tensor) -> Any:
            return getattr(F, f"max_pool{n}d")(input, self.kernel_size, self.stride,
                                               self.padding, self.dilation, self.ceil_mode,
                                               self.return_indices)  # fmt: skip

        def extra_repr(self: Any) -> str:
            return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                    f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")  # fmt: skip
    else:
        def __init__(self: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                     ceil_mode: bool = False, count_include_pad: bool = True,
                     divisor_override: Any = None) -> None:  # fmt: skip
            Module.__init__(self)
            self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
            self.padding, self.ceil_mode = padding, ceil_mode
            self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

        def forward(self: Any, input: Tensor) -> Any:
            args = [input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                    self.count_include_pad]  # fmt: skip
            if n > 1:
                args.append(self.divisor_override)
            return getattr(F, f"avg_pool{n}d")(*args)

        def extra_repr(self: Any) -> str:
            return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    return type(name, (Module,), {"__init__": __init__, "forward": forward,
                                  "extra_repr": extra_repr,
                                  "__doc__": f"Same as `torch.nn.{name}`."})  # fmt: skip


MaxPool1d, MaxPool2d, MaxPool3d = (_pool_module(f"MaxPool{n}d", n, "max") for n in (1, 2, 3))
AvgPool1d, AvgPool2d, AvgPool3d = (_pool_module(f"AvgPool{n}d", n, "avg") for n in (1, 2, 3))


# --- more normalisation, activations with weights, dropout, distances ----------------------

class _InstanceNorm(Module):
    """torch's `_InstanceNorm`: per-sample channel statistics, optional affine weight/bias and
    running statistics (used in eval when tracked)."""

    _dims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None) -> None:  # fmt: skip
        super().__init__()
        from .._creation import ones, tensor, zeros

        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(ones(num_features)) if affine else None
        self.bias = Parameter(zeros(num_features)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features))
            self.register_buffer("running_var", ones(num_features))
            self.register_buffer("num_batches_tracked", tensor(0))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, input: Tensor) -> Tensor:
        import warnings

        if input.dim() not in self._dims:
            raise ValueError(f"expected {self._dims[0]}D or {self._dims[1]}D input "
                             f"(got {input.dim()}D input)")  # fmt: skip
        no_batch = self._dims[0]
        feature_dim = input.dim() - no_batch
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features "
                    f"({self.num_features}), but got: {input.size(feature_dim)}.")
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can "
                "silence this warning by not passing in num_features, which is not used "
                "because affine=False", stacklevel=2)
        if input.dim() == no_batch:
            return self._apply(input.unsqueeze(0)).squeeze(0)
        return self._apply(input)

    def _apply(self, input: Tensor) -> Tensor:
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                               self.bias, self.training or not self.track_running_stats,
                               self.momentum if self.momentum is not None else 0.0,
                               self.eps)  # fmt: skip

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")  # fmt: skip


class InstanceNorm1d(_InstanceNorm):
    """Same as `torch.nn.InstanceNorm1d`."""

    _dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Same as `torch.nn.InstanceNorm2d`."""

    _dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Same as `torch.nn.InstanceNorm3d`."""

    _dims = (4, 5)


class RMSNorm(Module):
    """Same as `torch.nn.RMSNorm`."""

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None,
                 dtype: Any = None) -> None:  # fmt: skip
        super().__init__()
        from .._creation import ones

        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(*self.normalized_shape))
        else:
            self.register_parameter("weight", None)

    def forward(self, x: Tensor) -> Tensor:
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")  # fmt: skip


class PReLU(Module):
    """Same as `torch.nn.PReLU`: one learnt negative slope, or one per channel."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:  # fmt: skip
        super().__init__()
        from .._creation import full

        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(full((num_parameters,), init))

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Same as `torch.nn.RReLU` (random slopes in training, from our generator)."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 inplace: bool = False) -> None:  # fmt: skip
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


def _dropout_module(name: str, fn: Callable[..., Tensor]) -> type[Module]:
    def __init__(self: Module, p: float = 0.5, inplace: bool = False) -> None:
        Module.__init__(self)
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self: Module, input: Tensor) -> Tensor:
        return fn(input, self.p, self.training, self.inplace)

    def extra_repr(self: Module) -> str:
        return f"p={self.p}, inplace={self.inplace}"

    return type(name, (Module,), {"__init__": __init__, "forward": forward,
                                  "extra_repr": extra_repr,
                                  "__doc__": f"Same as `torch.nn.{name}` (masks from our RNG)."})  # fmt: skip


Dropout1d = _dropout_module("Dropout1d", F.dropout1d)
Dropout2d = _dropout_module("Dropout2d", F.dropout2d)
Dropout3d = _dropout_module("Dropout3d", F.dropout3d)
AlphaDropout = _dropout_module("AlphaDropout", F.alpha_dropout)
FeatureAlphaDropout = _dropout_module("FeatureAlphaDropout", F.feature_alpha_dropout)


class CosineSimilarity(Module):
    """Same as `torch.nn.CosineSimilarity`."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """Same as `torch.nn.PairwiseDistance`."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


def _loss_n(name: str, fn: Callable[..., Tensor], params: tuple[tuple[str, Any], ...] = (),
            inputs: int = 2) -> type[Module]:  # fmt: skip
    """A loss module over `inputs` tensors (input1, input2, target; anchor, positive, ...)."""
    base = _loss(name, fn, params)

    def forward(self: Module, *tensors: Tensor) -> Tensor:
        if len(tensors) != inputs:
            raise TypeError(f"forward() takes {inputs} tensors, got {len(tensors)}")
        kwargs = {k: getattr(self, k) for k, _ in params}
        return fn(*tensors, reduction=self.reduction, **kwargs)

    return type(name, (base,), {"forward": forward, "__doc__": f"Same as `torch.nn.{name}`."})


CosineEmbeddingLoss = _loss_n("CosineEmbeddingLoss", F.cosine_embedding_loss, (("margin", 0.0),),
                              inputs=3)  # fmt: skip
MarginRankingLoss = _loss_n("MarginRankingLoss", F.margin_ranking_loss, (("margin", 0.0),),
                            inputs=3)  # fmt: skip
HingeEmbeddingLoss = _loss("HingeEmbeddingLoss", F.hinge_embedding_loss, (("margin", 1.0),))
SoftMarginLoss = _loss("SoftMarginLoss", F.soft_margin_loss)
MultiLabelSoftMarginLoss = _loss("MultiLabelSoftMarginLoss", F.multilabel_soft_margin_loss,
                                 (("weight", None),))  # fmt: skip
MultiMarginLoss = _loss("MultiMarginLoss", F.multi_margin_loss,
                        (("p", 1), ("margin", 1.0), ("weight", None)))  # fmt: skip
MultiLabelMarginLoss = _loss("MultiLabelMarginLoss", F.multilabel_margin_loss)
PoissonNLLLoss = _loss("PoissonNLLLoss", F.poisson_nll_loss,
                       (("log_input", True), ("full", False), ("eps", 1e-8)))  # fmt: skip
GaussianNLLLoss = _loss_n("GaussianNLLLoss", F.gaussian_nll_loss, (("full", False), ("eps", 1e-6)),
                          inputs=3)  # fmt: skip
TripletMarginLoss = _loss_n("TripletMarginLoss", F.triplet_margin_loss,
                            (("margin", 1.0), ("p", 2.0), ("eps", 1e-6), ("swap", False)),
                            inputs=3)  # fmt: skip



class TripletMarginWithDistanceLoss(Module):
    """Same as `torch.nn.TripletMarginWithDistanceLoss`."""

    def __init__(self, *, distance_function: Callable[..., Tensor] | None = None,
                 margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> None:  # fmt: skip
        super().__init__()
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than "
                             f"0, got {margin} instead")  # fmt: skip
        self.distance_function = distance_function if distance_function is not None else (
            PairwiseDistance())  # fmt: skip
        self.margin, self.swap, self.reduction = margin, swap, reduction

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


class EmbeddingBag(Module):
    """Same as `torch.nn.EmbeddingBag` (weights from N(0, 1), `padding_idx` row zero)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight: Tensor | None = None,
                 include_last_offset: bool = False, padding_idx: int | None = None) -> None:  # fmt: skip
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.mode = max_norm, norm_type, mode
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.include_last_offset = include_last_offset
        if padding_idx is not None and padding_idx < 0:
            padding_idx += num_embeddings
        self.padding_idx = padding_idx
        self.weight = Parameter(_weight if _weight is not None
                                else _empty(num_embeddings, embedding_dim))  # fmt: skip
        if _weight is None:
            init.normal_(self.weight)
            if padding_idx is not None:
                with no_grad():
                    self.weight[padding_idx] = 0.0

    def forward(self, input: Tensor, offsets: Tensor | None = None,
                per_sample_weights: Tensor | None = None) -> Tensor:  # fmt: skip
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                               self.scale_grad_by_freq, self.mode, self.sparse,
                               per_sample_weights, self.include_last_offset, self.padding_idx)  # fmt: skip

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}, mode='{self.mode}'"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


__all__ += [
    "AlphaDropout", "CosineEmbeddingLoss", "CosineSimilarity", "Dropout1d", "Dropout2d",
    "Dropout3d", "EmbeddingBag", "FeatureAlphaDropout", "GaussianNLLLoss", "HingeEmbeddingLoss",
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "MarginRankingLoss", "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss", "MultiMarginLoss", "PReLU", "PairwiseDistance", "PoissonNLLLoss",
    "RMSNorm", "RReLU", "SoftMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
]  # fmt: skip


# --- attention -----------------------------------------------------------------------------

class MultiheadAttention(Module):
    """Same as `torch.nn.MultiheadAttention` (torch's non-fast path, which its fast path
    matches in value; dropout masks come from our generator)."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None,
                 dtype: Any = None) -> None:  # fmt: skip
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")  # fmt: skip
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(_empty(embed_dim, embed_dim))
            self.k_proj_weight = Parameter(_empty(embed_dim, self.kdim))
            self.v_proj_weight = Parameter(_empty(embed_dim, self.vdim))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(_empty(3 * embed_dim, embed_dim))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(_empty(3 * embed_dim))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        if add_bias_kv:
            self.bias_k = Parameter(_empty(1, 1, embed_dim))
            self.bias_v = Parameter(_empty(1, 1, embed_dim))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True, is_causal: bool = False) -> tuple[Any, Any]:  # fmt: skip
        is_batched = query.dim() == 3
        key_padding_mask = F._canonical_mask(key_padding_mask, "key_padding_mask",
                                             F._none_or_dtype(attn_mask), "attn_mask",
                                             query.dtype)  # fmt: skip
        attn_mask = F._canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                      check_other=False)  # fmt: skip
        if self.batch_first and is_batched:
            # The transposes keep the "is" relations between query, key and value.
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = {} if self._qkv_same_embed_dim else {
            "use_separate_proj_weight": True, "q_proj_weight": self.q_proj_weight,
            "k_proj_weight": self.k_proj_weight, "v_proj_weight": self.v_proj_weight}  # fmt: skip
        attn_output, attn_output_weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            average_attn_weights=average_attn_weights, is_causal=is_causal, **separate)
        if self.batch_first and is_batched:
            return attn_output.transpose(1, 0), attn_output_weights
        return attn_output, attn_output_weights


__all__ += ["MultiheadAttention"]
