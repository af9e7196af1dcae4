"""Quick start: torch-style autograd code, unchanged, running on JAX.

Swap `import torch` for the line below and this file runs on XLA (CPU, GPU or TPU).
"""

import autograd_grad as torch

torch.manual_seed(0)

# A tiny physics-informed network: u(x) = MLP(x); we need u_x and u_xx.
w1 = torch.randn(1, 16, requires_grad=True)
b1 = torch.zeros(16, requires_grad=True)
w2 = torch.randn(16, 1, requires_grad=True)
x = torch.linspace(-1, 1, 32).reshape(32, 1).requires_grad_()

u = torch.tanh(x @ w1 + b1) @ w2
(u_x,) = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)
(u_xx,) = torch.autograd.grad(u_x, x, grad_outputs=torch.ones_like(u_x), create_graph=True)
loss = ((u_xx + torch.sin(x) * u) ** 2).mean()
grads = torch.autograd.grad(loss, [w1, b1, w2], retain_graph=True)
print("loss:", loss)
print("grad shapes:", [tuple(g.shape) for g in grads])

# Hessian-vector product, and a full Jacobian in one batched call.
v = torch.ones(16)
(g,) = torch.autograd.grad((torch.tanh(x @ w1 + b1) ** 2).sum(), b1, create_graph=True)
(hvp,) = torch.autograd.grad((g * v).sum(), b1)
print("hvp:", hvp[:4])
y = torch.tanh(b1 * 2.0)
(jac,) = torch.autograd.grad(y, b1, torch.eye(16), is_grads_batched=True)
print("jacobian diagonal:", jac.diagonal()[:4])

# Parameters by name, as in torch 2.13: a dict in, a dict out.
named = torch.autograd.grad(loss, {"w1": w1, "w2": w2}, allow_unused=True)
print({name: tuple(g.shape) for name, g in named.items()})
