"""Influence functions (Koh & Liang, 2017) for a small logistic-regression model: how much
would removing each training point change the loss on a test point? Needs the inverse
Hessian applied to a vector, computed by conjugate gradient from Hessian-vector products
(double backward through `autograd.grad(..., create_graph=True)`).

Runs unchanged with `import torch`.
"""

import numpy as np

import autograd_grad as torch

F = torch.nn.functional
rng = np.random.default_rng(0)
n, d = 64, 5
x = torch.tensor(rng.normal(0, 1, (n, d)).astype(np.float32))
true_w = torch.tensor(rng.normal(0, 1, d).astype(np.float32))
y = (torch.sigmoid(x @ true_w) > torch.tensor(rng.uniform(0, 1, n).astype(np.float32))).float()
w = torch.zeros(d, requires_grad=True)
damping = 0.01


def train_loss(w):
    return F.binary_cross_entropy_with_logits(x @ w, y) + damping / 2 * (w * w).sum()


# Fit the model (L-BFGS, as people do for convex models).
opt = torch.optim.LBFGS([w], lr=1.0, max_iter=50, line_search_fn="strong_wolfe")


def closure():
    opt.zero_grad()
    loss = train_loss(w)
    loss.backward()
    return loss


opt.step(closure)
print("trained loss %.5f" % train_loss(w).item())


def hvp(v):
    (g,) = torch.autograd.grad(train_loss(w), w, create_graph=True)
    (hv,) = torch.autograd.grad((g * v).sum(), w)
    return hv


def inverse_hvp(b, iters=20):
    """Solve H s = b by conjugate gradient, touching H only through hvp()."""
    s = torch.zeros_like(b)
    r = b.clone()
    p = r.clone()
    rs = (r * r).sum()
    for _ in range(iters):
        hp = hvp(p)
        alpha = rs / (p * hp).sum()
        s = s + alpha * p
        r = r - alpha * hp
        rs_new = (r * r).sum()
        if rs_new.item() < 1e-10:
            break
        p = r + (rs_new / rs) * p
        rs = rs_new
    return s


x_test, y_test = x[:1] * -1.5, y[:1]
test_loss = F.binary_cross_entropy_with_logits(x_test @ w, y_test)
(g_test,) = torch.autograd.grad(test_loss, w)
s_test = inverse_hvp(g_test)
print("CG residual %.2e" % (hvp(s_test) - g_test).abs().max().item())

scores = []
for i in range(n):
    (g_i,) = torch.autograd.grad(F.binary_cross_entropy_with_logits(x[i:i + 1] @ w, y[i:i + 1]), w)
    scores.append(-(s_test * g_i).sum().item() / n)
order = sorted(range(n), key=lambda i: scores[i])
print("most helpful training points:", [(i, round(scores[i], 5)) for i in order[:3]])
print("most harmful training points:", [(i, round(scores[i], 5)) for i in order[-3:]])
