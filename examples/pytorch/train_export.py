#!/usr/bin/env python3
"""Train a tiny hard-sharing MLP in PyTorch (float64), export it for
`mtif-train --import`, and compute its MTIF scores with the exact Hessian.

The objective, sign and scores follow the MTIF specification exactly:

    L(w) = sum_k (1/n_k) sum_{z in D_k} CE(head_k(trunk(x)), y) + (lambda/2) ||w||^2
    s_k  = (H + delta I)^{-1} grad V_k(w),   V_k = mean CE over task k's validation set
    score_k(z) = -(1/n_l) s_k . grad l(w; z)           z a training example of task l

(every parameter, biases included, is regularised; positive = z hurts task k).

The trunk is `shared.0`, `shared.1`, ... (Linear + tanh each), the heads
`head.<task>` (Linear), so `safetensors.torch.save_file(model.state_dict())`
writes the tensor names and shapes our parameter files use. Tasks are sorted
by name; task k has max(max label + 1, 2) classes, as mtif-train derives them.

    python3 train_export.py --train train.ndjson --val val.ndjson --hidden 5 \
        --lambda 0.05 --damping 0.01 --model model.safetensors --scores torch-scores.ndjson

then, with our tools:

    mtif-train --import model.safetensors --hidden 5 --lambda 0.05 train.ndjson -o params.safetensors
    mtif-grad --mean-by-task params.safetensors val.ndjson -o rhs.safetensors
    mtif-grad params.safetensors train.ndjson -o grads.safetensors
    mtif-ihvp --solver exact --damping 0.01 params.safetensors train.ndjson rhs.safetensors -o ihvp.safetensors
    mtif-influence ihvp.safetensors grads.safetensors > scores.ndjson
"""
import argparse
import json

import torch
from safetensors.torch import save_file
from torch.func import functional_call

torch.set_default_dtype(torch.float64)


def read_examples(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class HardSharing(torch.nn.Module):
    def __init__(self, inputs, hidden, tasks, outputs):
        super().__init__()
        widths = [inputs] + hidden
        self.shared = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.head = torch.nn.ModuleDict({t: torch.nn.Linear(widths[-1], c) for t, c in zip(tasks, outputs)})

    def forward(self, x, task):
        h = x
        for layer in self.shared:
            h = torch.tanh(layer(h))
        return self.head[task](h)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--val", required=True)
    parser.add_argument("--hidden", default="5", help="hidden widths, comma-separated")
    parser.add_argument("--lambda", dest="lam", type=float, default=0.05)
    parser.add_argument("--damping", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", required=True, help="safetensors output (the trained parameters)")
    parser.add_argument("--scores", required=True, help="NDJSON output (score records, as mtif-influence writes)")
    args = parser.parse_args()
    torch.manual_seed(args.seed)

    train, val = read_examples(args.train), read_examples(args.val)
    tasks = sorted({e["task"] for e in train})
    outputs = [max(max(e["y"] for e in train if e["task"] == t) + 1, 2) for t in tasks]
    hidden = [int(w) for w in args.hidden.split(",")]
    model = HardSharing(len(train[0]["x"]), hidden, tasks, outputs)

    def batch(examples, task):
        rows = [e for e in examples if e["task"] == task]
        return torch.tensor([e["x"] for e in rows]), torch.tensor([e["y"] for e in rows])

    train_by_task = {t: batch(train, t) for t in tasks}
    val_by_task = {t: batch(val, t) for t in tasks if any(e["task"] == t for e in val)}
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]

    def unflatten(w):
        out, at = {}, 0
        for n, s in zip(names, shapes):
            size = s.numel()
            out[n] = w[at:at + size].reshape(s)
            at += size
        return out

    def task_loss(w, task, data, reduction="mean"):
        x, y = data
        logits = functional_call(model, unflatten(w), (x, task))
        return torch.nn.functional.cross_entropy(logits, y, reduction=reduction)

    def objective(w):
        total = sum(task_loss(w, t, train_by_task[t]) for t in tasks)
        return total + 0.5 * args.lam * (w * w).sum()

    # Fit: L-BFGS, then Newton steps on the exact Hessian to a stationary point.
    w = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([w], lr=1, max_iter=2000, history_size=20, tolerance_grad=1e-12,
                                  tolerance_change=1e-15, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        value = objective(w)
        value.backward()
        return value

    optimizer.step(closure)
    w = w.detach()
    for _ in range(20):
        g = torch.func.grad(objective)(w)
        if g.norm() < 1e-13:
            break
        H = torch.autograd.functional.hessian(objective, w)
        w = w - torch.linalg.solve(H, g)
    g = torch.func.grad(objective)(w)
    print(f"trained: L = {objective(w).item():.12g}, |grad L| = {g.norm().item():.3g}, P = {w.numel()}")

    save_file({n: t.contiguous() for n, t in unflatten(w).items()}, args.model)

    # Scores with the exact, damped Hessian.
    H = torch.autograd.functional.hessian(objective, w)
    A = H + args.damping * torch.eye(w.numel())
    targets = [t for t in tasks if t in val_by_task]
    s = {k: torch.linalg.solve(A, torch.func.grad(lambda v: task_loss(v, k, val_by_task[k]))(w)) for k in targets}
    n = {t: len(train_by_task[t][1]) for t in tasks}
    with open(args.scores, "w") as f:
        meta = {"type": "meta", "sign": "positive = the example hurts the target (removing it lowers its validation loss)",
                "damping": args.damping, "lambda": args.lam, "tool": "examples/pytorch/train_export.py"}
        f.write(json.dumps(meta) + "\n")
        for e in train:
            x, y = torch.tensor([e["x"]]), torch.tensor([e["y"]])
            grad = torch.func.grad(lambda v: task_loss(v, e["task"], (x, y), reduction="sum"))(w)
            scores = {k: -(s[k] @ grad).item() / n[e["task"]] for k in targets}
            f.write(json.dumps({"type": "score", "id": e["id"], "task": e["task"], "scores": scores}) + "\n")


if __name__ == "__main__":
    main()
