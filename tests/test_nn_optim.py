"""`nn` modules and `optim` against real torch: the same model (torch's initial weights
loaded into ours), the same data, 50 optimiser steps; losses and final weights agree."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
from oracle import randn, same_in_both

import autograd_grad as ag

torch = pytest.importorskip("torch")


def make_mlp(t: Any) -> Any:
    nn = t.nn
    return nn.Sequential(OrderedDict([("fc1", nn.Linear(4, 16)), ("act", nn.Tanh()),
                                      ("fc2", nn.Linear(16, 16)), ("act2", nn.GELU()),
                                      ("out", nn.Linear(16, 2))]))  # fmt: skip


def twin_models(build: Any = make_mlp) -> tuple[Any, Any]:
    """A torch model and ours holding torch's initial weights."""
    torch.manual_seed(0)
    theirs = build(torch)
    ours = build(ag)
    state = {k: ag.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    print(ours.load_state_dict(state))
    return theirs, ours


DATA_X = np.linspace(-2, 2, 32 * 4, dtype=np.float32).reshape(32, 4)
DATA_Y = np.stack([np.sin(DATA_X.sum(1)), np.cos(DATA_X[:, 0])], 1).astype(np.float32)

OPTIMIZERS = {
    "sgd": lambda o, p: o.SGD(p, lr=0.05),
    "sgd_momentum_nesterov_wd": lambda o, p: o.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                                                   weight_decay=1e-3),
    "adam": lambda o, p: o.Adam(p, lr=1e-2),
    "adam_amsgrad_wd": lambda o, p: o.Adam(p, lr=1e-2, amsgrad=True, weight_decay=1e-2),
    "adamw": lambda o, p: o.AdamW(p, lr=1e-2),
    "rmsprop_centered_momentum": lambda o, p: o.RMSprop(p, lr=1e-3, momentum=0.5, centered=True),
    "adagrad": lambda o, p: o.Adagrad(p, lr=0.05, lr_decay=1e-3),
}  # fmt: skip


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_trajectories_match_torch(name: str) -> None:
    results = {}
    for t, model in zip((torch, ag), twin_models()):
        opt = OPTIMIZERS[name](t.optim, model.parameters())
        x, y = t.tensor(DATA_X), t.tensor(DATA_Y)
        losses = []
        for _ in range(50):
            opt.zero_grad()
            loss = t.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        results[t.__name__] = (losses, {k: v.detach().numpy() for k, v in model.state_dict().items()})
    (tl, tw), (ol, ow) = results["torch"], results["autograd_grad"]
    np.testing.assert_allclose(ol, tl, rtol=2e-4, atol=1e-6)
    for k in tw:
        np.testing.assert_allclose(ow[k], tw[k], rtol=2e-3, atol=2e-5, err_msg=k)


def test_lbfgs_strong_wolfe_matches_torch() -> None:
    results = {}
    for t, model in zip((torch, ag), twin_models()):
        opt = t.optim.LBFGS(model.parameters(), lr=1, max_iter=10, line_search_fn="strong_wolfe")
        x, y = t.tensor(DATA_X), t.tensor(DATA_Y)

        def closure() -> Any:
            opt.zero_grad()
            loss = t.nn.functional.mse_loss(model(x), y)
            loss.backward()
            return loss

        results[t.__name__] = [opt.step(closure).item() for _ in range(4)]
    np.testing.assert_allclose(results["autograd_grad"], results["torch"], rtol=2e-3)


def test_schedulers_match_torch() -> None:
    def prog(t: Any) -> Any:
        out = []
        for make in (lambda o: t.optim.lr_scheduler.StepLR(o, 3, gamma=0.5),
                     lambda o: t.optim.lr_scheduler.MultiStepLR(o, [2, 5], gamma=0.1),
                     lambda o: t.optim.lr_scheduler.ExponentialLR(o, 0.9),
                     lambda o: t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
                     lambda o: t.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1))):  # fmt: skip
            w = t.zeros(2, requires_grad=True)
            opt = t.optim.SGD([w], lr=0.1)
            sched = make(opt)
            lrs = []
            for _ in range(10):
                w.sum().backward()
                opt.step()
                sched.step()
                lrs.append(round(sched.get_last_lr()[0], 10))
            out.append(lrs)
        return out

    same_in_both(prog)


def test_module_api_like_torch() -> None:
    def prog(t: Any) -> Any:
        torch.manual_seed(0)
        m = make_mlp(t)
        names = [n for n, _ in m.named_parameters()]
        shapes = [tuple(p.shape) for p in m.parameters()]
        children = [type(c).__name__ for c in m.children()]
        mods = [n for n, _ in m.named_modules()]
        text = repr(m)
        m.eval()
        modes = [c.training for c in m.modules()]
        m.train()
        sd = list(m.state_dict().keys())
        inc = m.load_state_dict(m.state_dict())
        missing = m.load_state_dict(OrderedDict(list(m.state_dict().items())[:2]), strict=False)
        p = m.fc1.weight
        return (names, shapes, children, mods, text, modes, sd, repr(inc),
                missing.missing_keys, type(p).__name__, p.is_leaf, p.requires_grad,
                repr(t.nn.Parameter(t.ones(2))))  # fmt: skip

    same_in_both(prog)


def test_load_state_dict_errors() -> None:
    def prog(t: Any) -> Any:
        m = t.nn.Linear(3, 2)
        bad = {"weight": t.zeros(2, 4), "bias": t.zeros(2), "extra": t.zeros(1)}
        try:
            m.load_state_dict(bad)
        except RuntimeError as e:
            return str(e)
        return None

    same_in_both(prog)


def test_modules_forward_and_grads_match() -> None:
    def build(t: Any) -> Any:
        nn = t.nn
        return nn.ModuleDict({
            "norm": nn.LayerNorm(4), "lin": nn.Linear(4, 3, bias=False),
            "leaky": nn.LeakyReLU(0.2), "soft": nn.Softplus(beta=2.0), "relu": nn.ReLU(),
            "silu": nn.SiLU(), "elu": nn.ELU(), "sig": nn.Sigmoid(), "id": nn.Identity(),
            "flat": nn.Flatten(), "bil": nn.Bilinear(4, 4, 2)})  # fmt: skip

    theirs, ours = twin_models(build)
    outs = {}
    for t, m in ((torch, theirs), (ag, ours)):
        x = t.tensor(DATA_X[:8], requires_grad=True)
        h = m["norm"](x)
        y = m["lin"](m["leaky"](h)) + m["soft"](h)[:, :3] + m["relu"](h)[:, :3]
        y = y + m["silu"](h)[:, :3] + m["elu"](h)[:, :3] + m["sig"](m["id"](h))[:, :3]
        y = m["flat"](y.reshape(8, 3, 1)) + m["bil"](h, x)[:, :1]
        loss = y.pow(2).sum()
        grads = t.autograd.grad(loss, [x, *m.parameters()])
        outs[t.__name__] = [loss.detach().numpy()] + [g.numpy() for g in grads]
    for a, b in zip(outs["autograd_grad"], outs["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)  # sums of ~1e3: float32


def test_losses_match() -> None:
    def prog(t: Any, a: Any, b: Any) -> Any:
        nn = t.nn
        target = t.tensor([0, 2, 1])
        return (nn.MSELoss()(a, b), nn.L1Loss(reduction="sum")(a, b), nn.SmoothL1Loss(beta=0.5)(a, b),
                nn.HuberLoss(delta=0.3)(a, b), nn.CrossEntropyLoss()(a, target),
                nn.CrossEntropyLoss(label_smoothing=0.1)(a, target),
                nn.NLLLoss()(a.log_softmax(1), target), nn.BCEWithLogitsLoss()(a, b.sigmoid()),
                nn.BCELoss()(a.sigmoid(), b.sigmoid()))  # fmt: skip

    same_in_both(prog, randn(3, 4, seed=1), randn(3, 4, seed=2, requires_grad=False))


def test_dropout_and_embedding() -> None:
    ag.manual_seed(0)
    drop = ag.nn.Dropout(0.25)
    x = ag.ones(2000)
    y = drop(x)
    kept = (y != 0).float().mean().item()
    assert 0.7 < kept < 0.8
    assert set(np.unique(y.numpy()).tolist()) <= {0.0, float(np.float32(1) / np.float32(0.75))}
    drop.eval()
    assert drop(x) is x
    emb = ag.nn.Embedding(10, 3, padding_idx=0)
    out = emb(ag.tensor([[0, 3], [3, 9]]))
    assert tuple(out.shape) == (2, 2, 3) and out[0, 0].abs().sum().item() == 0
    out.sum().backward()
    assert emb.weight.grad[3].tolist() == [2.0, 2.0, 2.0]


def test_init_functions_follow_torch_formulas() -> None:
    init = ag.nn.init
    w = ag.empty(400, 300)
    init.kaiming_uniform_(w, a=5 ** 0.5)
    bound = 1 / 300 ** 0.5
    assert w.abs().max().item() <= bound and w.abs().max().item() > 0.95 * bound
    init.xavier_normal_(w)
    assert abs(w.std().item() - (2 / 700) ** 0.5) < 0.002
    assert init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain("leaky_relu", 0.2)
    init.constant_(w, 0.5)
    assert w.eq(0.5).all().item()
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed"):
        init.xavier_uniform_(ag.empty(3))


def test_functional_call_style_meta_learning() -> None:
    # MAML's inner step written with autograd.grad(create_graph=True) through modules.
    results = {}
    for t, model in zip((torch, ag), twin_models()):
        x, y = t.tensor(DATA_X), t.tensor(DATA_Y)
        params = list(model.parameters())
        loss = t.nn.functional.mse_loss(model(x), y)
        grads = t.autograd.grad(loss, params, create_graph=True)
        fast = [p - 0.1 * g for p, g in zip(params, grads)]
        h = t.tanh(t.nn.functional.linear(x, fast[0], fast[1]))
        h = t.nn.functional.gelu(t.nn.functional.linear(h, fast[2], fast[3]))
        outer = t.nn.functional.mse_loss(t.nn.functional.linear(h, fast[4], fast[5]), y)
        meta = t.autograd.grad(outer, params)
        results[t.__name__] = [outer.item()] + [g.numpy() for g in meta]
    for a, b in zip(results["autograd_grad"], results["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)




def test_functional_call_per_sample_grads_match_torch() -> None:
    results = {}
    for t, model in zip((torch, ag), twin_models()):
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p: Any, xi: Any, yi: Any) -> Any:
            out = t.func.functional_call(model, p, (xi.unsqueeze(0),))
            return t.nn.functional.mse_loss(out, yi.unsqueeze(0))

        g = t.func.vmap(t.func.grad(loss), in_dims=(None, 0, 0))(params, t.tensor(DATA_X),
                                                                    t.tensor(DATA_Y))  # fmt: skip
        results[t.__name__] = {k: v.numpy() for k, v in g.items()}
        assert model.fc1.weight.requires_grad  # the module's own parameters are back
    assert list(results["autograd_grad"]) == list(results["torch"])
    for k, v in results["torch"].items():
        np.testing.assert_allclose(results["autograd_grad"][k], v, rtol=1e-4, atol=1e-6)


def test_save_load_round_trip(tmp_path: Any) -> None:
    model = make_mlp(ag)
    path = tmp_path / "model.pt"
    ag.save({"model": model.state_dict(), "step": 3, "x": ag.ones(2, requires_grad=True)}, path)
    loaded = ag.load(path)
    assert loaded["step"] == 3 and loaded["x"].requires_grad
    other = make_mlp(ag)
    other.load_state_dict(loaded["model"])
    for a, b in zip(model.parameters(), other.parameters()):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())


def test_dataloader_batches() -> None:
    x, y = ag.arange(10.0).reshape(10, 1), ag.arange(10)
    loader = ag.utils.data.DataLoader(ag.utils.data.TensorDataset(x, y), batch_size=4)
    batches = [(bx.shape, by.tolist()) for bx, by in loader]
    assert len(loader) == 3 and batches[-1][1] == [8, 9] and tuple(batches[0][0]) == (4, 1)
    ag.manual_seed(1)
    shuffled = [by.tolist() for _, by in ag.utils.data.DataLoader(
        ag.utils.data.TensorDataset(x, y), batch_size=5, shuffle=True, drop_last=True)]
    assert sorted(sum(shuffled, [])) == list(range(10)) and shuffled != [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_conv_modules_match_torch() -> None:
    def build(t: Any) -> Any:
        nn = t.nn
        return nn.ModuleDict({
            "c1": nn.Conv1d(2, 4, 3, padding=1), "c2": nn.Conv2d(2, 6, (3, 2), stride=2, groups=2),
            "c3": nn.Conv3d(1, 2, 2, dilation=2, bias=False), "same": nn.Conv2d(2, 2, 3, padding="same"),
            "t2": nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1),
            "t1": nn.ConvTranspose1d(4, 2, 2)})  # fmt: skip

    theirs, ours = twin_models(build)
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(3)
    x1, x2 = rng.standard_normal((2, 2, 8)), rng.standard_normal((2, 2, 7, 6))
    x3 = rng.standard_normal((1, 1, 6, 6, 6))
    outs = {}
    for t, m in ((torch, theirs), (ag, ours)):
        a = t.tensor(x1.astype(np.float32), requires_grad=True)
        b = t.tensor(x2.astype(np.float32), requires_grad=True)
        c = t.tensor(x3.astype(np.float32))
        y = (m["t1"](m["c1"](a)).pow(2).sum() + m["c2"](b).tanh().sum() + m["c3"](c).sum()
             + m["same"](b).sin().sum() + m["t2"](b).pow(2).mean())  # fmt: skip
        grads = t.autograd.grad(y, [a, b, *m.parameters()])
        outs[t.__name__] = [y.detach().numpy()] + [g.numpy() for g in grads]
    for x, y in zip(outs["autograd_grad"], outs["torch"]):
        np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-4)


def test_batch_and_group_norm_train_like_torch() -> None:
    def build(t: Any) -> Any:
        nn = t.nn
        return nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                             nn.Conv2d(4, 4, 3, padding=1), nn.GroupNorm(2, 4), nn.Tanh(),
                             nn.MaxPool2d(2, ceil_mode=True), nn.AvgPool2d(1, padding=0),
                             nn.Flatten(), nn.Linear(4 * 2 * 2, 3),
                             nn.BatchNorm1d(3, momentum=None))  # fmt: skip

    theirs, ours = twin_models(build)
    rng = np.random.default_rng(5)
    batches = [rng.standard_normal((8, 2, 6, 6)).astype(np.float32) for _ in range(4)]
    results = {}
    for t, model in ((torch, theirs), (ag, ours)):
        opt = t.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        losses = []
        for xb in batches:
            opt.zero_grad()
            loss = model(t.tensor(xb)).pow(2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        model.eval()
        evaluated = model(t.tensor(batches[0])).detach().numpy()
        state = {k: v.numpy() for k, v in model.state_dict().items()}
        results[t.__name__] = (losses, evaluated, state, repr(model))
    (tl, te, ts, tr), (ol, oe, os_, orr) = results["torch"], results["autograd_grad"]
    assert orr == tr
    np.testing.assert_allclose(ol, tl, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(oe, te, rtol=1e-3, atol=1e-4)
    assert list(os_) == list(ts)
    for k in ts:
        np.testing.assert_allclose(os_[k], ts[k], rtol=1e-3, atol=1e-5, err_msg=k)


# --- attention, normalisation, losses and dropout of nn.functional ---------------------------

MHA_CASES = {
    "default": ({"embed_dim": 8, "num_heads": 2}, {}),
    "batch_first_no_weights": ({"embed_dim": 8, "num_heads": 2, "batch_first": True},
                               {"need_weights": False}),
    "kdim_vdim_no_bias_padding_per_head": (
        {"embed_dim": 8, "num_heads": 2, "kdim": 3, "vdim": 5, "bias": False},
        {"key_padding_mask": "kpm", "average_attn_weights": False}),
    "bias_kv_zero_attn_float_mask": (
        {"embed_dim": 8, "num_heads": 4, "add_bias_kv": True, "add_zero_attn": True},
        {"attn_mask": "float"}),
    "bool_mask_and_padding_sdpa": ({"embed_dim": 8, "num_heads": 2},
                                   {"attn_mask": "bool", "key_padding_mask": "kpm",
                                    "need_weights": False}),
    "self_attention_batch_first": ({"embed_dim": 8, "num_heads": 2, "batch_first": True},
                                   {"self_attention": True}),
}  # fmt: skip


@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multihead_attention_matches_torch(case: str) -> None:
    """nn.MultiheadAttention given torch's weights: outputs, attention weights, grad_fn names
    and the grads of every input and parameter agree with torch's."""
    cfg, options = MHA_CASES[case]
    options = dict(options)
    self_attention = options.pop("self_attention", False)
    rng = np.random.default_rng(1)
    e, kd, vd = cfg["embed_dim"], cfg.get("kdim") or cfg["embed_dim"], cfg.get("vdim") or cfg["embed_dim"]
    batch_first = cfg.get("batch_first", False)

    def shape(length: int, d: int) -> tuple[int, ...]:
        return (2, length, d) if batch_first else (length, 2, d)

    arrays = [rng.standard_normal(s).astype(np.float32)
              for s in (shape(4, e), shape(5, kd), shape(5, vd))]  # fmt: skip
    masks = {"kpm": np.array([[False] * 4 + [True], [False] * 5]),
             "float": rng.standard_normal((4, 5)).astype(np.float32),
             "bool": rng.random((4, 5)) > 0.7}  # fmt: skip
    theirs, ours = twin_models(lambda t: t.nn.MultiheadAttention(**cfg))
    results = []
    for t, m in ((torch, theirs), (ag, ours)):
        q, k, v = (t.tensor(a, requires_grad=True) for a in arrays)
        if self_attention:
            k = v = q
        kwargs = {name: t.tensor(masks[value]) if isinstance(value, str) else value
                  for name, value in options.items()}  # fmt: skip
        out, weights = m(q, k, v, **kwargs)
        loss = (out * out).sum() + (0 if weights is None else (weights * weights).sum())
        inputs = [q] if self_attention else [q, k, v]
        grads = t.autograd.grad(loss, [*inputs, *m.parameters()])
        results.append((out, weights, grads))
    (o1, w1, g1), (o2, w2, g2) = results
    assert o2.grad_fn.name() == o1.grad_fn.name()
    np.testing.assert_allclose(o2.detach().numpy(), o1.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert (w2 is None) == (w1 is None)
    if w1 is not None:
        assert w2.grad_fn.name() == w1.grad_fn.name()
        np.testing.assert_allclose(w2.detach().numpy(), w1.detach().numpy(), rtol=1e-5, atol=1e-6)
    for a, b in zip(g2, g1):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


def test_multihead_attention_errors_like_torch() -> None:
    def prog(t: Any) -> Any:
        return t.nn.MultiheadAttention(6, 4)

    same_in_both(prog)

    def bad_mask(t: Any) -> Any:
        m = t.nn.MultiheadAttention(4, 2)
        x = t.zeros(3, 2, 4)
        return m(x, x, x, attn_mask=t.zeros(2, 2))

    same_in_both(bad_mask)


def test_norm_and_loss_modules_match() -> None:
    def build(t: Any) -> Any:
        nn = t.nn
        return nn.ModuleDict({
            "inorm": nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
            "rms": nn.RMSNorm(4), "prelu": nn.PReLU(3)})  # fmt: skip

    theirs, ours = twin_models(build)
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    y0 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    labels = np.array([[1, 0, -1], [2, -1, 0]])
    results = []
    for t, m in ((torch, theirs), (ag, ours)):
        nn = t.nn
        x, y = t.tensor(x0, requires_grad=True), t.tensor(y0)
        h = m["prelu"](m["rms"](m["inorm"](x)))
        flat, other = h.reshape(2, 12), y.reshape(2, 12)
        sign = t.tensor([1.0, -1.0])
        losses = [
            nn.CosineEmbeddingLoss(margin=0.1)(flat, other, sign),
            nn.MarginRankingLoss(margin=0.2)(flat[0], other[0], other[1].sign()),
            nn.HingeEmbeddingLoss()(flat, other.sign()), nn.SoftMarginLoss()(flat, other.sign()),
            nn.MultiLabelSoftMarginLoss()(flat, (other > 0).float()),
            nn.MultiMarginLoss(p=2, margin=0.5)(flat, t.tensor([3, 7])),
            nn.MultiLabelMarginLoss()(h[:, 0, :3], t.tensor(labels)),
            nn.PoissonNLLLoss()(flat, other.abs()),
            nn.GaussianNLLLoss()(flat, other, other.abs() + 0.1),
            nn.TripletMarginLoss(margin=0.5, swap=True)(flat, other, other.flip(0)),
            nn.CosineSimilarity()(flat, other).sum(), nn.PairwiseDistance(p=1.5)(flat, other).sum(),
        ]  # fmt: skip
        total = sum(losses[1:], losses[0])
        grads = t.autograd.grad(total, [x, *m.parameters()])
        results.append(([v.detach().numpy() for v in losses], [g.numpy() for g in grads],
                        m["inorm"].running_mean.numpy(), m["inorm"].running_var.numpy()))
    (l1, g1, rm1, rv1), (l2, g2, rm2, rv2) = results
    for a, b in zip(l2, l1):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for a, b in zip(g2, g1):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(rm2, rm1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv2, rv1, rtol=1e-5, atol=1e-6)


def test_random_masks_are_consistent_with_their_grads() -> None:
    """Dropout, alpha dropout and rrelu in training cannot match torch's random numbers; each
    result must be one of the values the mask allows, kept at the right rate, and its gradient
    must use the same mask as its value."""
    F = ag.nn.functional
    ag.manual_seed(0)
    x = ag.rand(40, 50, requires_grad=True) + 1  # positive: the mask is visible in the value
    p = 0.3
    for fn, scale in ((F.dropout, 1 / (1 - p)), (F.dropout1d, 1 / (1 - p))):
        out = fn(x.unsqueeze(-1), p, True).squeeze(-1)
        kept = (out != 0).float()
        assert 0.6 < kept.mean().item() < 0.8
        np.testing.assert_allclose(out.detach().numpy(), (x * kept * scale).detach().numpy(),
                                   rtol=1e-6)  # fmt: skip
        (g,) = ag.autograd.grad(out.sum(), x)
        np.testing.assert_allclose(g.numpy(), (kept * scale).numpy(), rtol=1e-6)
    out = F.alpha_dropout(x, p, True)
    alpha = 1.7580993408473766
    a = 1 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    dropped = np.isclose(out.detach().numpy(), -alpha * a + alpha * a * p)
    (g,) = ag.autograd.grad(out.sum(), x)
    np.testing.assert_allclose(g.numpy(), np.where(dropped, 0.0, a), rtol=1e-6)
    assert 0.2 < dropped.mean() < 0.4
    neg = -x
    out = F.rrelu(neg, 0.1, 0.3, training=True)
    slopes = (out / neg).detach().numpy()
    assert (slopes >= 0.1 - 1e-6).all() and (slopes <= 0.3 + 1e-6).all() and slopes.std() > 0.03
    (g,) = ag.autograd.grad(out.sum(), neg)
    np.testing.assert_allclose(g.numpy(), slopes, rtol=1e-5)
    assert F.dropout(x, 0.5, training=False) is x and F.rrelu(neg).grad_fn.name() == "RreluWithNoiseBackward0"


def test_dropout_deterministic_cases_match_torch() -> None:
    """Where torch's dropout draws nothing (p = 0, eval, p = 1), values, grad_fn names and
    grads must be torch's (the OpInfo value phases are xfailed for the random samples)."""

    def prog(t: Any, x: Any) -> Any:
        F = t.nn.functional
        outs = (F.dropout(x, 1.0, True), F.alpha_dropout(x, 1.0, True),
                F.feature_alpha_dropout(x.reshape(2, 3, 2), 1.0, True),
                F.dropout3d(x.reshape(1, 2, 3, 2), 0.0, True), F.dropout2d(x.reshape(2, 3, 2), 1.0),
                F.rrelu(x - 0.5), F.scaled_dot_product_attention(x.reshape(2, 3, 2), x.reshape(2, 3, 2),
                                                                 x.reshape(2, 3, 2), dropout_p=0.0))  # fmt: skip
        same = (F.dropout(x, 0.0, True) is x, F.dropout(x, 0.5, False) is x,
                F.alpha_dropout(x, 0.5) is x, t.dropout(x, 0.3, False) is x)
        grads = t.autograd.grad(sum(o.sum() for o in outs), x)
        return outs, same, grads

    same_in_both(prog, randn(12, seed=3))
