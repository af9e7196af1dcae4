"""Hessian-vector products three ways: double backward with autograd.grad, the
autograd.functional API, and torch.func's forward-over-reverse.

Runs unchanged with `import torch`.
"""

import autograd_grad as torch
from autograd_grad.autograd.functional import hvp
from autograd_grad.func import grad, jvp

# A small regression loss in 6 parameters (deterministic data).
x = torch.linspace(-2, 2, 24).reshape(8, 3)
target = torch.sin(x.sum(1))
w = torch.tensor([0.3, -0.2, 0.5, 0.1, -0.4, 0.2], requires_grad=True)
v = torch.tensor([1.0, 0.0, -1.0, 0.5, 0.5, 0.0])


def loss_fn(w):
    hidden = torch.tanh(x @ w[:3].reshape(3, 1))
    pred = (hidden * w[3:]).sum(1)
    return ((pred - target) ** 2).mean()


# 1. double backward: g = dL/dw with a graph, then d(g . v)/dw
loss = loss_fn(w)
(g,) = torch.autograd.grad(loss, w, create_graph=True)
(hv1,) = torch.autograd.grad((g * v).sum(), w)
print("loss: %.6f" % loss.item())
print("hvp (double backward):   ", [round(t, 5) for t in hv1.tolist()])

# 2. autograd.functional
_, hv2 = hvp(loss_fn, w.detach(), v)
print("hvp (autograd.functional):", [round(t, 5) for t in hv2.tolist()])

# 3. torch.func: forward-mode over reverse-mode
_, hv3 = jvp(grad(loss_fn), (w.detach(),), (v,))
print("hvp (torch.func jvp/grad):", [round(t, 5) for t in hv3.tolist()])
gap = max((hv1 - hv2).abs().max().item(), (hv1 - hv3).abs().max().item())
print("all three agree:", gap < 1e-5)
