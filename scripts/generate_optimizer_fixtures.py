#!/usr/bin/python3
"""PyTorch float64 reference trajectories for Recurrent4j's optimizers and clipping.

Writes ``train/src/test/resources/optimizers.json``: for each case, the optimizer and its hyperparameters, two
parameters (``a`` [3, 4] and ``b`` [5]) with their initial values, one gradient per step for 4 steps, the learning
rate of each step (varied, as a schedule would), and the parameters after every step. Also the result of
``clip_grad_norm_`` and ``clip_grad_value_`` on one set of gradients. Deterministic (torch.manual_seed(0)).
Doubles are written with Python's repr, which round-trips exactly.

Run from the repository root: ``/usr/bin/python3 scripts/generate_optimizer_fixtures.py`` (needs PyTorch;
on Debian ``apt-get install -y python3-torch``).
"""
import json
import torch

torch.manual_seed(0)
STEPS = 4
LRS = [0.1, 0.05, 0.02, 0.08]

CASES = [
    ("sgd", dict(), lambda ps, lr: torch.optim.SGD(ps, lr=lr)),
    ("sgd_momentum", dict(momentum=0.9), lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.9)),
    ("sgd_nesterov_wd", dict(momentum=0.8, nesterov=True, weight_decay=0.1),
     lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("adam", dict(), lambda ps, lr: torch.optim.Adam(ps, lr=lr)),
    ("adam_l2", dict(betas=[0.8, 0.99], eps=1e-6, weight_decay=0.05),
     lambda ps, lr: torch.optim.Adam(ps, lr=lr, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("adamw", dict(weight_decay=0.1), lambda ps, lr: torch.optim.AdamW(ps, lr=lr, weight_decay=0.1)),
    ("adagrad", dict(), lambda ps, lr: torch.optim.Adagrad(ps, lr=lr)),
    ("rmsprop", dict(), lambda ps, lr: torch.optim.RMSprop(ps, lr=lr)),
    ("rmsprop_centered_momentum", dict(alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01),
     lambda ps, lr: torch.optim.RMSprop(ps, lr=lr, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01)),
]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


out = {"lrs": LRS, "cases": []}
for name, hyper, make in CASES:
    a = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(5, dtype=torch.float64, requires_grad=True)
    case = {"name": name, "hyper": hyper, "a0": flat(a), "b0": flat(b), "grads": [], "after": []}
    opt = make([a, b], LRS[0])
    for step in range(STEPS):
        for group in opt.param_groups:
            group["lr"] = LRS[step]
        ga = torch.randn(3, 4, dtype=torch.float64)
        gb = torch.randn(5, dtype=torch.float64)
        a.grad = ga.clone()
        b.grad = gb.clone()
        opt.step()
        case["grads"].append({"a": flat(ga), "b": flat(gb)})
        case["after"].append({"a": flat(a), "b": flat(b)})
    out["cases"].append(case)

ga = torch.randn(3, 4, dtype=torch.float64) * 3
gb = torch.randn(5, dtype=torch.float64) * 3
a = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
b = torch.zeros(5, dtype=torch.float64, requires_grad=True)
a.grad, b.grad = ga.clone(), gb.clone()
norm = torch.nn.utils.clip_grad_norm_([a, b], max_norm=2.0)
clip = {"a": flat(ga), "b": flat(gb), "norm": float(norm), "norm_a": flat(a.grad), "norm_b": flat(b.grad)}
a.grad, b.grad = ga.clone(), gb.clone()
torch.nn.utils.clip_grad_value_([a, b], clip_value=1.5)
clip["value_a"], clip["value_b"] = flat(a.grad), flat(b.grad)
out["clipping"] = clip

with open("train/src/test/resources/optimizers.json", "w") as f:
    json.dump(out, f, indent=1)
print("wrote", len(out["cases"]), "optimizer cases")
