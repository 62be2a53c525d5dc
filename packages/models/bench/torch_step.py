"""PyTorch peer of bench/train-step.mjs: the same LLaMA-style training step (forward, backward, Adam).

Same config, same layout choices as packages/models/src/model.ts (RMSNorm, rotary positions,
grouped-query attention with the query heads of a kv head stacked along the rows — no repeated
K/V —, SwiGLU MLP, untied lm_head, mean next-token cross-entropy) and the same adapters as
@hydralora/core-adapters (LoRA: base + s·(x·A)·B; HydraLoRA: [A | gate] in one product, softmax
router, B_cat = [B_1; …; B_N]). Prints one JSON line. Usage:

  python3 torch_step.py --method lora|hydra|full --batch 4 --seq 256 --steps 5

--threads sets torch's intra-op threads (default 1); OPENBLAS_NUM_THREADS sets the BLAS's. Their
product must not exceed the cores: train-step.mjs runs both 1 × <cores> and <cores> × 1 and keeps
the faster.
"""

import argparse
import json
import math
import resource
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError as error:  # the bench reports this and continues
    print(json.dumps({"error": f"PyTorch not available ({error})"}))
    sys.exit(0)

CONFIG = dict(vocab=8000, hidden=256, layers=8, heads=8, kv_heads=4, ffn=688, eps=1e-6, theta=10000.0)


class Lora(torch.nn.Module):
    def __init__(self, base, r, alpha, heads):
        super().__init__()
        self.base, self.r, self.heads, self.scaling = base, r, heads, alpha / r
        fan_in, out = base.in_features, base.out_features
        bound = 1 / math.sqrt(fan_in)
        self.a = torch.nn.Parameter(torch.empty(fan_in, r).uniform_(-bound, bound))
        self.gate = torch.nn.Parameter(torch.empty(fan_in, heads).uniform_(-bound, bound)) if heads > 1 else None
        self.b = torch.nn.Parameter(torch.zeros(heads * r, out))

    def forward(self, x):
        y = self.base(x)
        x2 = x.reshape(-1, x.shape[-1])
        if self.gate is None:
            z = x2 @ self.a
        else:
            both = x2 @ torch.cat([self.a, self.gate], 1)
            h, logits = both[:, : self.r], both[:, self.r :]
            w = torch.softmax(logits, -1)
            z = (h.unsqueeze(1) * w.unsqueeze(2)).reshape(x2.shape[0], self.heads * self.r)
        return y + ((z * self.scaling) @ self.b).reshape(y.shape)


class RMSNorm(torch.nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight, self.eps = torch.nn.Parameter(torch.ones(n)), eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate(x, cos, sin):
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


class Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        h, d = c["hidden"], c["hidden"] // c["heads"]
        self.heads, self.kv, self.d = c["heads"], c["kv_heads"], d
        lin = lambda i, o: torch.nn.Linear(i, o, bias=False)  # noqa: E731
        self.q, self.k, self.v, self.o = lin(h, h), lin(h, self.kv * d), lin(h, self.kv * d), lin(h, h)
        self.gate, self.up, self.down = lin(h, c["ffn"]), lin(h, c["ffn"]), lin(c["ffn"], h)
        self.n1, self.n2 = RMSNorm(h, c["eps"]), RMSNorm(h, c["eps"])

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        groups = self.heads // self.kv
        r = self.n1(x)
        q = rotate(self.q(r).view(b, t, self.heads, self.d).transpose(1, 2), cos, sin)
        k = rotate(self.k(r).view(b, t, self.kv, self.d).transpose(1, 2), cos, sin)
        v = self.v(r).view(b, t, self.kv, self.d).transpose(1, 2)
        q = (q / math.sqrt(self.d)).reshape(b, self.kv, groups * t, self.d)
        scores = (q @ k.transpose(-1, -2)).view(b, self.kv, groups, t, t) + mask
        probs = torch.softmax(scores, -1).view(b, self.kv, groups * t, t)
        attn = (probs @ v).view(b, self.heads, t, self.d).transpose(1, 2).reshape(b, t, -1)
        h = x + self.o(attn)
        r2 = self.n2(h)
        return h + self.down(F.silu(self.gate(r2)) * self.up(r2))


class Model(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed = torch.nn.Embedding(c["vocab"], c["hidden"])
        self.layers = torch.nn.ModuleList(Layer(c) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["hidden"], c["eps"])
        self.head = torch.nn.Linear(c["hidden"], c["vocab"], bias=False)
        d = c["hidden"] // c["heads"]
        self.inv_freq = 1.0 / (c["theta"] ** (torch.arange(0, d, 2).float() / d))

    def forward(self, ids):
        b, t = ids.shape
        freqs = torch.outer(torch.arange(t).float(), self.inv_freq)
        emb = torch.cat([freqs, freqs], -1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.full((t, t), float("-inf")).triu(1)
        x = self.embed(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.head(self.norm(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--method", choices=["lora", "hydra", "full"], required=True)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Model(CONFIG)
    if args.method == "full":
        params = list(model.parameters())
    else:
        for p in model.parameters():
            p.requires_grad_(False)
        heads = 4 if args.method == "hydra" else 1
        for layer in model.layers:
            layer.q, layer.v = Lora(layer.q, 8, 16, heads), Lora(layer.v, 8, 16, heads)
        params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=1e-3)
    ids = torch.randint(0, CONFIG["vocab"], (args.batch, args.seq))

    def step():
        optimizer.zero_grad(set_to_none=True)
        logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, CONFIG["vocab"]), ids[:, 1:].reshape(-1))
        loss.backward()
        optimizer.step()
        return loss.item()

    step()  # warm-up
    start = time.perf_counter()
    cpu_start = time.process_time()
    for _ in range(args.steps):
        loss = step()
    seconds = (time.perf_counter() - start) / args.steps
    cpu_seconds = (time.process_time() - cpu_start) / args.steps
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "tokensPerSecond": args.batch * args.seq / seconds,
                "msPerStep": seconds * 1000,
                "cpuMsPerStep": cpu_seconds * 1000,
                "tokensPerCpuSecond": args.batch * args.seq / cpu_seconds,
                "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "trainable": sum(p.numel() for p in params),
                "loss": loss,
            }
        )
    )


if __name__ == "__main__":
    main()
