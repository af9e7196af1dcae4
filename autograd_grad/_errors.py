"""torch's error messages, verbatim, each with where torch raises it."""

from __future__ import annotations

import threading

import jax


class _ValueChecks(threading.local):
    seen: bool = False  # an op checked values (it must always run eagerly)
    traced: bool = False  # an op skipped a value check because it saw tracers


VALUE_CHECKS = _ValueChecks()


def is_traced(x: object) -> bool:
    """Whether an op sees a traced array (inside a vjp or a program), where value checks
    were made when the op ran. An op that goes on to check values (index bounds) must
    always run eagerly: answering False records that. See Note [Deferred values]."""
    if isinstance(x, jax.core.Tracer):
        VALUE_CHECKS.traced = True
        return True
    VALUE_CHECKS.seen = True
    return False

# torch/csrc/autograd/python_variable.cpp, THPVariable_set_requires_grad
REQUIRES_GRAD_DTYPE = "Only Tensors of floating point and complex dtype can require gradients"
# the `requires_grad` setter (python_variable.cpp) and `requires_grad_()` (VariableTypeManual.cpp)
REQUIRES_GRAD_DTYPE_SETTER = (
    "only Tensors of floating point and complex dtype can require gradients")
REQUIRES_GRAD_DTYPE_METHOD = "only Tensors of floating point dtype can require gradients"
REQUIRES_GRAD_NOT_BOOL = "requires_grad must be a bool"
NON_LEAF_REQUIRES_GRAD_TRUE = "you can only change requires_grad flags of leaf variables."
NON_LEAF_REQUIRES_GRAD = (
    "you can only change requires_grad flags of leaf variables. If you want to use a computed "
    "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
)
# torch/_tensor.py, Tensor.grad
NON_LEAF_GRAD_ACCESS = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)
NUMPY_REQUIRES_GRAD = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
BOOL_AMBIGUOUS = "Boolean value of Tensor with more than one value is ambiguous"
BOOL_EMPTY = "Boolean value of Tensor with no values is ambiguous"
# torch/csrc/autograd/python_variable_indexing.cpp / python_variable_methods.cpp
ONE_ELEMENT_SCALAR = "only one element tensors can be converted to Python scalars"
INDEX_CONVERSION = "only integer tensors of a single element can be converted to an index"
SCALAR_REQUIRES_GRAD = (
    "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
    "Consider using tensor.detach() first."
)
# aten/src/ATen/native/Copy.cpp
COMPLEX_TO_REAL = (
    "Casting complex values to real discards the imaginary part"
)
DEEPCOPY_NON_LEAF = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at "
    "the moment.  If you were attempting to deepcopy a module, this may be because of a "
    "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001"
)
# torch/csrc/autograd/VariableTypeUtils.h, check_inplace
OUT_RESIZED = (
    "An output with one or more elements was resized since it had shape {}, which does not "
    "match the required output shape {}. This behavior is deprecated, and in a future PyTorch "
    "release outputs will not be resized unless they have zero elements. You can explicitly "
    "reuse an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).")
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF_INPLACE = "a view of a leaf Variable that requires grad is being used in an in-place operation."

# torch/autograd/__init__.py, grad() and _make_grads
MATERIALIZE_NOT_ALLOW_UNUSED = (
    "Expected allow_unused to be True or not passed when materialize_grads=True, "
    "but got: allow_unused=False."
)
EMPTY_INPUTS = "`inputs` argument to `grad()` cannot be empty."
ONLY_INPUTS_DEPRECATED = (
    "only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
    "gradient for other parts of the graph, please use torch.autograd.backward."
)
MAPPING_INPUTS = (
    "`inputs` argument to `grad()` must be a dict, not {}. Other Mapping types are not supported."
)
IMPLICIT_NOT_SCALAR = "grad can be implicitly created only for scalar outputs"
IMPLICIT_NOT_REAL = "grad can be implicitly created only for real scalar outputs but got {}"
SHAPE_MISMATCH = "Mismatch in shape: grad_output[{}] has a shape of {} and output[{}] has a shape of {}."
BATCHED_SHAPE_MISMATCH = (
    "If `is_grads_batched=True`, we interpret the first dimension of each grad_output as the "
    "batch dimension. The sizes of the remaining dimensions are expected to match the shape of "
    "corresponding output, but a mismatch was detected: grad_output[{}] has a shape of {} and "
    "output[{}] has a shape of {}. If you only want some tensors in `grad_output` to be "
    "considered batched, consider using vmap."
)
COMPLEX_DTYPE_MISMATCH = (
    "For complex Tensors, both grad_output and output are required to have the same dtype. "
    "Mismatch in dtype: grad_output[{}] has a dtype of {} and output[{}] has a dtype of {}."
)
GRAD_OUTPUT_TYPE = "gradients can be either Tensors or None, but got {}"
OUTPUT_TYPE = "Expected output to be a torch.Tensor"  # an AssertionError
BATCHED_GRADIENT_EDGE = "Batched grads are not supported with GradientEdge"  # _calculate_shape
# torch/_vmap_internals.py, as is_grads_batched reaches it (vmap over the grad_outputs)
VMAP_0D = (
    "vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some input, but that input is a "
    "Tensor of dimensionality 0 so expected in_dim to satisfy 0 <= in_dim < 0."
)
VMAP_SIZES = "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes {} for the mapped dimension"
# aten/src/ATen/native/TensorShape.cpp, select (grad[0] of a batched grad_output)
SELECT_0D = (
    "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
    "C++ to convert a 0-dim tensor to a number"
)
SELECT_EMPTY = "index 0 is out of bounds for dimension 0 with size 0"

# torch/csrc/autograd/python_engine.cpp and engine.cpp
LENGTH_MISMATCH = "got {} tensors and {} gradients"
OUTPUT_NO_GRAD = "element {} of tensors does not require grad and does not have a grad_fn"
INPUT_TYPE = "all inputs have to be Tensors or GradientEdges, but got {}"
INPUT_NO_GRAD = "One of the differentiated Tensors does not require grad"
UNUSED_INPUT = (
    "The differentiated Tensor at index {} appears to not have been used in the graph. "
    "Set allow_unused=True if this is the desired behavior."
)
FREED_GRAPH = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)
MATERIALIZE_GRADIENT_EDGE = "materialize_grads cannot be used when the given input is a GradientEdge"
# torch/csrc/autograd/functions/basic_ops.h, NotImplemented (derivatives.yaml "not_implemented")
NOT_IMPLEMENTED = "derivative for aten::{} is not implemented"


# aten/src/ATen/WrapDimUtils.h
def wrap_dim(dim: int, ndim: int) -> int:
    """A possibly negative dim as an index, with torch's IndexError when out of range."""
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], "
            f"but got {dim})"
        )
    return dim % rank


# aten/src/ATen/ExpandUtils.cpp, infer_size
def broadcast_shapes(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """Broadcast two shapes with torch's error for mismatches."""
    ndim = max(len(a), len(b))
    out = []
    for i in range(ndim - 1, -1, -1):
        offset = ndim - 1 - i
        da = a[len(a) - 1 - offset] if offset < len(a) else 1
        db = b[len(b) - 1 - offset] if offset < len(b) else 1
        if da != db and da != 1 and db != 1:
            raise RuntimeError(
                f"The size of tensor a ({da}) must match the size of tensor b ({db}) "
                f"at non-singleton dimension {i}"
            )
        out.append(db if da == 1 else da)
    return tuple(reversed(out))

# --- backward and .grad (torch/autograd/__init__.py, python_variable.cpp, engine.cpp) --------
BACKWARD_EMPTY_INPUTS = "`inputs` argument to `backward()` cannot be empty."
BACKWARD_MAPPING_INPUTS = (
    "`inputs` argument to `backward()` must be a dict, not {}. Other Mapping types are not "
    "supported.")
GRAD_TENSORS_AND_VARIABLES = (
    "`grad_tensors` and `grad_variables` (deprecated) arguments both passed to `backward()`. "
    "Please only use `grad_tensors`.")
GRAD_VARIABLES_DEPRECATED = "`grad_variables` is deprecated. Use `grad_tensors` instead."
# engine.cpp, Engine::execute, when backward() accumulates with create_graph=True
BACKWARD_CREATE_GRAPH = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using "
    "autograd.grad when creating the graph to avoid this. If you have to use this function, "
    "make sure to reset the .grad fields of your parameters to None after use to break the "
    "cycle and avoid the leak.")
# VariableHooks::retain_grad
RETAIN_GRAD_NO_GRAD = "can't retain_grad on Tensor that has requires_grad=False"
# python_variable.cpp, THPVariable_set_grad
GRAD_ASSIGN_TYPE = "assigned grad expected to be a Tensor or None but got grad of type {}"
GRAD_ASSIGN_SIZE = (
    "attempting to assign a gradient of size '{}' to a tensor of size '{}'. Please ensure that "
    "the gradient and the tensor are the same size")
GRAD_ASSIGN_DTYPE = (
    "attempting to assign a gradient with dtype '{}' to a tensor with grad_dtype '{}'. The "
    "gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You can set "
    "the tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. Set "
    "grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may break "
    "downstream systems that assume they match.")
# caffe2::TypeMeta names, as the message above prints the gradient's dtype
CPP_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
                  "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
                  "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
                  "bool": "bool", "complex64": "c10::complex<float>",
                  "complex128": "c10::complex<double>"}  # fmt: skip
# torch/_functorch/pyfunctorch.py: a random op under vmap(randomness="error")
VMAP_RANDOMNESS = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
    "of vmap")
# python_variable.cpp / VariableHooks
HOOK_NO_GRAD = "cannot register a hook on a tensor that doesn't require gradient"
POST_ACCUMULATE_NON_LEAF = "post accumulate grad hooks cannot be registered on non-leaf tensors"
# engine.cpp, validate_outputs under anomaly mode
ANOMALY_NAN = "Function '{}' returned nan values in its {}th output."
# torch/_tensor.py __dlpack__
DLPACK_REQUIRES_GRAD = "Can't export tensors that require gradient, use tensor.detach()"
