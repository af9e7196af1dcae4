"""Per-sample gradients with torch.func: vmap over examples of grad of a per-example loss.

Runs unchanged with `import torch`; with the line below it runs as one batched JAX program.
"""

import autograd_grad as torch
from autograd_grad.func import grad, vmap

# A linear-tanh classifier on 8 examples of 5 features (deterministic data).
x = torch.linspace(-1, 1, 40).reshape(8, 5)
y = torch.tensor([0, 1, 2, 1, 0, 2, 1, 0])
params = {"w": torch.linspace(-0.5, 0.5, 15).reshape(5, 3), "b": torch.zeros(3)}


def example_loss(params, xi, yi):
    logits = torch.tanh(xi @ params["w"] + params["b"])
    return torch.nn.functional.cross_entropy(logits.unsqueeze(0), yi.unsqueeze(0))


per_sample = vmap(grad(example_loss), in_dims=(None, 0, 0))(params, x, y)
print("per-sample grad shapes:", {k: tuple(g.shape) for k, g in per_sample.items()})

# Their mean is the ordinary minibatch gradient.
batch_loss = sum(example_loss(params, x[i], y[i]) for i in range(8)) / 8
mean_grad = grad(lambda p: sum(example_loss(p, x[i], y[i]) for i in range(8)) / 8)(params)
print("batch loss: %.6f" % batch_loss.item())
for name in ("w", "b"):
    gap = (per_sample[name].mean(0) - mean_grad[name]).abs().max().item()
    print("%s: mean of per-sample grads equals the batch grad: %s" % (name, gap < 1e-6))
    print("%s grad norms per sample:" % name, [round(v, 4) for v in per_sample[name].flatten(1).norm(dim=1).tolist()])
