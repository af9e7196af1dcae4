"""WGAN-GP on a 2-D toy distribution (a ring of 8 Gaussians): the critic's gradient
penalty needs the gradient of its output w.r.t. its input *with a graph*
(`autograd.grad(..., create_graph=True)`), which is then differentiated again.

Runs unchanged with `import torch`.
"""

import math

import numpy as np

import autograd_grad as torch

nn = torch.nn
rng = np.random.default_rng(0)


def mlp(sizes, final=None):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layer = nn.Linear(n_in, n_out)
        with torch.no_grad():  # deterministic init, the same under both libraries
            bound = 1 / math.sqrt(n_in)
            layer.weight.copy_(torch.tensor(rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)))
            layer.bias.copy_(torch.tensor(rng.uniform(-bound, bound, n_out).astype(np.float32)))
        layers.append(layer)
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


generator = mlp([4, 64, 64, 2])
critic = mlp([2, 64, 64, 1])
opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.9))
opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
centers = np.array([[math.cos(a), math.sin(a)] for a in np.linspace(0, 2 * math.pi, 8, endpoint=False)])


def real_batch(n=64):
    return torch.tensor((centers[rng.integers(0, 8, n)] * 2 + rng.normal(0, 0.05, (n, 2))).astype(np.float32))


def gradient_penalty(real, fake):
    alpha = torch.tensor(rng.uniform(0, 1, (real.shape[0], 1)).astype(np.float32))
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    score = critic(mixed)
    (grad,) = torch.autograd.grad(score, mixed, grad_outputs=torch.ones_like(score), create_graph=True)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


for it in range(30):
    for _ in range(3):  # critic steps
        real = real_batch()
        noise = torch.tensor(rng.normal(0, 1, (64, 4)).astype(np.float32))
        fake = generator(noise).detach()
        gp = gradient_penalty(real, fake)
        loss_c = critic(fake).mean() - critic(real).mean() + 10 * gp
        opt_c.zero_grad()
        loss_c.backward()
        opt_c.step()
    noise = torch.tensor(rng.normal(0, 1, (64, 4)).astype(np.float32))
    loss_g = -critic(generator(noise)).mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    if it % 10 == 0 or it == 29:
        print("iter %2d  critic %.4f  penalty %.4f  generator %.4f" % (it, loss_c.item(), gp.item(), loss_g.item()))
