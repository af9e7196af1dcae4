"""A custom autograd.Function: a numerically stable softplus with its own backward,
differentiated twice (its backward is written with differentiable ops).

Runs unchanged with `import torch`.
"""

import autograd_grad as torch


class SoftPlus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        ctx.save_for_backward(x)
        ctx.beta = beta
        # log(1 + exp(beta x)) / beta, without overflow for large beta x
        return (torch.clamp(x, min=0) + torch.log1p(torch.exp(-torch.abs(beta * x))) / beta)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(ctx.beta * x), None  # no gradient for beta


x = torch.linspace(-3, 3, 7, requires_grad=True)
y = SoftPlus.apply(x, 2.0)
print("softplus:", [round(v, 4) for v in y.tolist()])
print("grad_fn:", y.grad_fn.name())

(dy,) = torch.autograd.grad(y.sum(), x, create_graph=True)
(d2y,) = torch.autograd.grad(dy.sum(), x)
print("first derivative: ", [round(v, 4) for v in dy.tolist()])
print("second derivative:", [round(v, 4) for v in d2y.tolist()])

# It trains like any op: a few steps of gradient descent on a 1-parameter model.
w = torch.tensor([0.5], requires_grad=True)
target = torch.tensor([2.0])
for step in range(5):
    loss = ((SoftPlus.apply(w * 3.0, 1.0) - target) ** 2).sum()
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
    w.grad = None
    print("step %d  loss %.5f  w %.5f" % (step, loss.item(), w.item()))
