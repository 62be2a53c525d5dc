"""Independent float64 reference for AdaLoRA, written from PEFT's formulas (SVDLinear.forward,
AdaLoraModel.forward's orthogonality term, RankAllocator). Writes adalora_reference.json.

Model: y = lm_head(down(tanh(up(q(x))))) as FakeMlpModel (dims 6, 10, 5), AdaLoRA on q, up, down.
Run: LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread OMP_NUM_THREADS=1 \
     /usr/bin/python3 adalora_reference.py
"""
import json
import math
import torch

torch.manual_seed(13)
D = torch.float64
DIM, HIDDEN, VOCAB, R, ALPHA, ORTH = 6, 10, 5, 3, 4.0, 0.5
mods = [("model.layers.0.self_attn.q_proj", DIM, DIM, True),
        ("model.layers.0.mlp.up_proj", DIM, HIDDEN, True),
        ("model.layers.0.mlp.down_proj", HIDDEN, DIM, False)]
head_w = torch.randn(VOCAB, DIM, dtype=D) * 0.3
base, ada = {}, {}
for name, n, m, bias in mods:
    base[name] = (torch.randn(m, n, dtype=D) * 0.3, torch.randn(m, dtype=D) * 0.1 if bias else None)
    ada[name] = {"A": (torch.randn(R, n, dtype=D) * 0.4).requires_grad_(),
                 "E": (torch.randn(R, 1, dtype=D) * 0.5).requires_grad_(),
                 "B": (torch.randn(m, R, dtype=D) * 0.4).requires_grad_()}
x = torch.randn(2, 3, DIM, dtype=D)
target = torch.randn(2, 3, VOCAB, dtype=D)
ranknum = float(R)


def svd_linear(name, h):
    w, b = base[name]
    p = ada[name]
    y = h @ w.T + (b if b is not None else 0)
    return y + (h @ (p["A"] * p["E"]).T @ p["B"].T) * ALPHA / (ranknum + 1e-5)


def forward(inp):
    h = svd_linear(mods[0][0], inp)
    h = torch.tanh(svd_linear(mods[1][0], h))
    h = svd_linear(mods[2][0], h)
    return h @ head_w.T


out = forward(x)
task = (out * target).sum()
reg, count = 0.0, 0
for name, *_ in mods:
    for key in ("A", "B"):
        p = ada[name][key]
        cov = p @ p.T if key == "A" else p.T @ p
        reg = reg + torch.linalg.norm(cov - torch.eye(R, dtype=D), "fro")
        count += 1
aux = ORTH * reg / count
loss = task + aux
loss.backward()


def flat(t):
    return t.detach().reshape(-1).tolist()


fixture = {
    "dims": [DIM, HIDDEN, VOCAB], "r": R, "alpha": ALPHA, "orth_reg_weight": ORTH,
    "head": flat(head_w), "x": flat(x), "target": flat(target),
    "modules": [], "output": flat(out), "task": task.item(), "aux": aux.item(),
}
for name, n, m, bias in mods:
    w, b = base[name]
    p = ada[name]
    fixture["modules"].append({
        "name": name, "in": n, "out": m, "weight": flat(w), "bias": flat(b) if b is not None else None,
        "lora_A": flat(p["A"]), "lora_E": flat(p["E"]), "lora_B": flat(p["B"]),
        "grad_A": flat(p["A"].grad), "grad_E": flat(p["E"].grad), "grad_B": flat(p["B"].grad),
    })

# RankAllocator on fixed weights with given gradients (PEFT's update_and_allocate(global_step)).
sched = {"tinit": 1, "tfinal": 2, "total_step": 8, "deltaT": 2, "target_r": 2, "beta1": 0.85, "beta2": 0.85}
init_bgt = R * len(mods)
target_bgt = sched["target_r"] * len(mods)


def budget_schedule(step):
    if step <= sched["tinit"]:
        return init_bgt, False
    if step > sched["total_step"] - sched["tfinal"]:
        return target_bgt, True
    c = 1 - (step - sched["tinit"]) / (sched["total_step"] - sched["tfinal"] - sched["tinit"])
    return int((init_bgt - target_bgt) * c ** 3 + target_bgt), step % sched["deltaT"] == 0


params = {(name, k): ada[name][k].detach().clone() for name, *_ in mods for k in ("A", "E", "B")}
avg, unc = {}, {}
steps, rank_pattern = [], None
for step in range(sched["total_step"] + 1):
    grads = {key: torch.randn_like(v) for key, v in params.items()}
    final = sched["total_step"] - sched["tfinal"]
    record = {"step": step, "grads": {f"{n}|{k}": flat(g) for (n, k), g in grads.items()}}

    def mask_to_budget(budget):
        scores = {}
        for name, *_ in mods:
            s = lambda k: avg[(name, k)] * unc[(name, k)]
            scores[name] = s("E").view(-1) + s("A").mean(dim=1) + s("B").mean(dim=0)
        allv = torch.cat([scores[n] for n, *_ in mods])
        thr = torch.kthvalue(allv, init_bgt - budget)[0].item()
        pattern = {}
        for name, *_ in mods:
            keep = ~(scores[name] <= thr)
            params[(name, "E")].masked_fill_(~keep.view(-1, 1), 0.0)
            pattern[name] = keep.tolist()
        return pattern

    if step < final:
        for key, p in params.items():
            ipt = (p * grads[key]).abs()
            avg[key] = sched["beta1"] * avg.get(key, torch.zeros_like(p)) + (1 - sched["beta1"]) * ipt
            unc[key] = sched["beta2"] * unc.get(key, torch.zeros_like(p)) + (1 - sched["beta2"]) * (ipt - avg[key]).abs()
        budget, do_mask = budget_schedule(step)
        if do_mask:
            rank_pattern = mask_to_budget(budget)
    elif step == final:
        budget, _ = budget_schedule(step)
        rank_pattern = mask_to_budget(budget)
        avg, unc = {}, {}
    else:
        budget = target_bgt
        for name, *_ in mods:
            keep = torch.tensor(rank_pattern[name])
            params[(name, "E")].masked_fill_(~keep.view(-1, 1), 0.0)
    record["budget"] = budget
    record["E"] = {name: flat(params[(name, "E")]) for name, *_ in mods}
    steps.append(record)
fixture["allocator"] = {"config": sched, "steps": steps}
fixture["schedule"] = [[s, *budget_schedule(s)] for s in range(sched["total_step"] + 1)]

with open(__file__.replace(".py", ".json"), "w") as f:
    json.dump(fixture, f)
print("task", task.item(), "aux", aux.item())
