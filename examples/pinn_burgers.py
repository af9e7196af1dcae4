"""A physics-informed neural network for Burgers' equation

    u_t + u u_x = (0.01 / pi) u_xx,   x in [-1, 1], t in [0, 1],
    u(0, x) = -sin(pi x),   u(t, -1) = u(t, 1) = 0,

trained with Adam, then refined with L-BFGS. The derivatives u_t, u_x, u_xx come from
`autograd.grad(..., create_graph=True)`, so the loss is differentiated to third order.

Runs unchanged with `import torch`.
"""

import math

import numpy as np

import autograd_grad as torch

nn = torch.nn
rng = np.random.default_rng(0)


def mlp() -> nn.Module:
    layers = [nn.Linear(2, 20), nn.Tanh(), nn.Linear(20, 20), nn.Tanh(), nn.Linear(20, 1)]
    model = nn.Sequential(*layers)
    with torch.no_grad():  # deterministic Xavier-style weights, the same under both libraries
        for layer in model:
            if isinstance(layer, nn.Linear):
                fan_in, fan_out = layer.in_features, layer.out_features
                scale = math.sqrt(2.0 / (fan_in + fan_out))
                layer.weight.copy_(torch.tensor(rng.normal(0, scale, (fan_out, fan_in)).astype(np.float32)))
                layer.bias.zero_()
    return model


model = mlp()
# Collocation points inside the domain, and on the initial and boundary lines.
t_in = torch.tensor(rng.uniform(0, 1, (256, 1)).astype(np.float32), requires_grad=True)
x_in = torch.tensor(rng.uniform(-1, 1, (256, 1)).astype(np.float32), requires_grad=True)
x0 = torch.linspace(-1, 1, 64).reshape(64, 1)
t0 = torch.zeros(64, 1)
tb = torch.linspace(0, 1, 32).reshape(32, 1)
nu = 0.01 / math.pi


def loss_fn():
    u = model(torch.cat([t_in, x_in], 1))
    u_t, u_x = torch.autograd.grad(u, [t_in, x_in], grad_outputs=torch.ones_like(u), create_graph=True)
    (u_xx,) = torch.autograd.grad(u_x, x_in, grad_outputs=torch.ones_like(u_x), create_graph=True)
    residual = u_t + u * u_x - nu * u_xx
    initial = model(torch.cat([t0, x0], 1)) + torch.sin(math.pi * x0)
    boundary = torch.cat([model(torch.cat([tb, -torch.ones_like(tb)], 1)),
                          model(torch.cat([tb, torch.ones_like(tb)], 1))])
    return (residual ** 2).mean() + (initial ** 2).mean() + (boundary ** 2).mean()


adam = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(60):
    adam.zero_grad()
    loss = loss_fn()
    loss.backward()
    adam.step()
    if step % 20 == 0 or step == 59:
        print("adam  step %3d  loss %.4f" % (step, loss.item()))

lbfgs = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=10, line_search_fn="strong_wolfe")


def closure():
    lbfgs.zero_grad()
    loss = loss_fn()
    loss.backward()
    return loss


for step in range(3):
    loss = lbfgs.step(closure)
    print("lbfgs step %3d  loss %.4f" % (step, loss.item()))

with torch.no_grad():
    probe = torch.tensor([[0.5, -0.5], [0.5, 0.0], [0.5, 0.5]])
    print("u(0.5, [-0.5, 0, 0.5]) =", [round(v, 3) for v in model(probe).flatten().tolist()])
