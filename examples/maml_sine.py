"""MAML on sine-wave regression (Finn et al., 2017): the inner adaptation step keeps its
graph (`autograd.grad(..., create_graph=True)`), so the outer update differentiates through
it: second-order meta-gradients.

Runs unchanged with `import torch`.
"""

import math

import numpy as np

import autograd_grad as torch

F = torch.nn.functional
rng = np.random.default_rng(0)


def init(shape, fan_in):
    bound = 1 / math.sqrt(fan_in)
    return torch.tensor(rng.uniform(-bound, bound, shape).astype(np.float32), requires_grad=True)


params = [init((40, 1), 1), init((40,), 1), init((40, 40), 40), init((40,), 40),
          init((1, 40), 40), init((1,), 40)]


def net(x, p):
    h = torch.relu(F.linear(x, p[0], p[1]))
    h = torch.relu(F.linear(h, p[2], p[3]))
    return F.linear(h, p[4], p[5])


def task():
    amplitude, phase = rng.uniform(0.1, 5.0), rng.uniform(0, math.pi)
    xs = rng.uniform(-5, 5, (20, 1)).astype(np.float32)
    ys = (amplitude * np.sin(xs + phase)).astype(np.float32)
    return torch.tensor(xs[:10]), torch.tensor(ys[:10]), torch.tensor(xs[10:]), torch.tensor(ys[10:])


meta_opt = torch.optim.Adam(params, lr=1e-3)
inner_lr = 0.01
for it in range(40):
    meta_opt.zero_grad()
    meta_loss = 0.0
    for _ in range(4):  # tasks per meta-batch
        x_support, y_support, x_query, y_query = task()
        support_loss = F.mse_loss(net(x_support, params), y_support)
        grads = torch.autograd.grad(support_loss, params, create_graph=True)
        adapted = [p - inner_lr * g for p, g in zip(params, grads)]
        query_loss = F.mse_loss(net(x_query, adapted), y_query)
        query_loss.backward()  # through the inner step: second order
        meta_loss += query_loss.item() / 4
    meta_opt.step()
    if it % 10 == 0 or it == 39:
        print("meta-iter %2d  query loss after one step %.4f" % (it, meta_loss))
