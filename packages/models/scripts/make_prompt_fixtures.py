#!/usr/bin/python3
"""
Independent float64 reference for the prompt-learning methods on the llama-untied fixture
(grouped-query attention, 4 query / 2 key-value heads), with Hugging Face + PEFT semantics:

- prompt tuning and P-tuning: inputs_embeds = [prompt (N rows); token embeddings], attention mask
  prefixed with N ones, positions = cumsum(mask) - 1 (HF generate; padding gets 1); logits of the
  real tokens only.
- prefix tuning: per layer past key/value [B, KV, N, d] taken from prompt_embeddings
  [N, L*2*KV*d] viewed as [N, L*2, KV, d] (PEFT's get_prompt: permute to [L*2, B, KV, N, d],
  split into (key, value) pairs); keys are not rotated; positions start at N.
- encoders: P-tuning MLP (Linear-ReLU-Linear-ReLU-Linear) and LSTM (bidirectional torch.nn.LSTM
  + Linear-ReLU-Linear), prefix projection (Linear-Tanh-Linear), with PEFT's module names.
- greedy generation: full recomputation (no cache) at every step.

Run: LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread OMP_NUM_THREADS=1 \
     /usr/bin/python3 scripts/make_prompt_fixtures.py
Outputs src/__fixtures__/prompt-learning/<case>/{adapter_config.json,adapter_model.safetensors[,encoder.safetensors]}
and src/__fixtures__/prompt-learning/expected.{json,safetensors}.
"""
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "src", "__fixtures__")
OUT = os.path.join(FIX, "prompt-learning")
N = 3  # virtual tokens
NEW_TOKENS = 6


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info
        a, b = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=torch.float32).reshape(info["shape"])
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        raw = t.to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def forward(cfg, W, ids, mask, prompt=None, prefix=None):
    """Logits [B, T, V] of the real tokens. prompt: [N, h] input embeddings; prefix: [N, L*2*KV*d]."""
    B, T = ids.shape
    H, KV, L = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["num_hidden_layers"]
    d = cfg["hidden_size"] // H
    eps = cfg["rms_norm_eps"]
    x = W["model.embed_tokens.weight"][ids]
    n = 0 if prompt is None and prefix is None else N
    full_mask = torch.cat([torch.ones(B, n, dtype=torch.long), mask], 1)  # [B, n + T]
    pos_all = (full_mask.cumsum(-1) - 1).masked_fill(full_mask == 0, 1)
    if prompt is not None:
        x = torch.cat([prompt[None].expand(B, N, -1), x], 1)
        rows, past = n + T, 0
    else:
        rows, past = T, n
    pos = pos_all[:, n + T - rows:]
    key_mask = full_mask  # keys: [prefix/virtual, tokens]
    S = past + rows
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    freqs = pos.double()[..., None] * inv_freq
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]
    causal = torch.ones(rows, S, dtype=torch.bool).tril(past)
    allowed = causal[None, None] & key_mask.bool()[:, None, None, :]
    bias = torch.zeros(B, 1, rows, S, dtype=torch.float64).masked_fill(~allowed, torch.finfo(torch.float64).min)
    if prefix is not None:
        # PEFT get_prompt: view [B, N, L*2, KV, d] → permute [L*2, B, KV, N, d] → split(2)
        pkv = prefix[None].expand(B, -1, -1).reshape(B, N, L * 2, KV, d).permute(2, 0, 3, 1, 4)

    def lin(name, t):
        return t @ W[name + ".weight"].T

    for i in range(L):
        p = f"model.layers.{i}"
        r = rms_norm(x, W[f"{p}.input_layernorm.weight"], eps)
        q = lin(f"{p}.self_attn.q_proj", r).view(B, rows, H, d).transpose(1, 2)
        k = lin(f"{p}.self_attn.k_proj", r).view(B, rows, KV, d).transpose(1, 2)
        v = lin(f"{p}.self_attn.v_proj", r).view(B, rows, KV, d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if prefix is not None:
            k = torch.cat([pkv[2 * i], k], 2)
            v = torch.cat([pkv[2 * i + 1], v], 2)
        k = k[:, :, None].expand(B, KV, H // KV, S, d).reshape(B, H, S, d)
        v = v[:, :, None].expand(B, KV, H // KV, S, d).reshape(B, H, S, d)
        scores = q @ k.transpose(2, 3) / (d ** 0.5) + bias
        attn = torch.softmax(scores, dim=-1) @ v
        x = x + lin(f"{p}.self_attn.o_proj", attn.transpose(1, 2).reshape(B, rows, H * d))
        r = rms_norm(x, W[f"{p}.post_attention_layernorm.weight"], eps)
        x = x + lin(f"{p}.mlp.down_proj", torch.nn.functional.silu(lin(f"{p}.mlp.gate_proj", r)) * lin(f"{p}.mlp.up_proj", r))
    x = rms_norm(x, W["model.norm.weight"], eps)
    return (x @ W["lm_head.weight"].T)[:, rows - T:]


def greedy(cfg, W, prompts, **virtual):
    """Greedy continuation of each prompt alone (no padding, no cache)."""
    out = []
    for p in prompts:
        seq = list(p)
        for _ in range(NEW_TOKENS):
            ids = torch.tensor([seq])
            logits = forward(cfg, W, ids, torch.ones_like(ids), **virtual)
            seq.append(int(logits[0, -1].argmax()))
        out.append(seq[len(p):])
    return out


def torch_linear(g, fan_in, fan_out):
    """PyTorch's default Linear init, drawn from g (weights [out, in])."""
    bound = 1 / fan_in ** 0.5
    return (torch.rand(fan_out, fan_in, generator=g, dtype=torch.float64) * 2 - 1) * bound, \
           (torch.rand(fan_out, generator=g, dtype=torch.float64) * 2 - 1) * bound


def main():
    torch.set_default_dtype(torch.float64)
    base = os.path.join(FIX, "llama-untied")
    cfg = json.load(open(os.path.join(base, "config.json")))
    W = {k: v.double() for k, v in read_safetensors(os.path.join(base, "model.safetensors")).items()}
    h, L = cfg["hidden_size"], cfg["num_hidden_layers"]
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    kvdim = KV * (h // H)
    g = torch.Generator().manual_seed(1234)
    ids = torch.randint(3, cfg["vocab_size"], (2, 5), generator=g)
    pmask = torch.ones(2, 5, dtype=torch.long)
    pmask[0, :2] = 0  # left padding
    prompts = [ids[0, 2:].tolist(), ids[1].tolist()]

    def common(peft_type, token_dim, heads):
        return {"auto_mapping": None, "base_model_name_or_path": None, "inference_mode": True,
                "num_attention_heads": heads, "num_layers": L, "num_transformer_submodules": 1,
                "num_virtual_tokens": N, "peft_type": peft_type, "revision": None,
                "task_type": "CAUSAL_LM", "token_dim": token_dim}

    cases = {}
    # prompt tuning: a random table
    table = torch.randn(N, h, generator=g)
    cases["prompt-tuning"] = dict(
        config=dict(common("PROMPT_TUNING", h, H), prompt_tuning_init="RANDOM", prompt_tuning_init_text=None,
                    tokenizer_kwargs=None, tokenizer_name_or_path=None),
        produced=table, virtual={"prompt": table}, encoder=None)
    # prefix tuning without projection: [N, L*2*kvdim] (0.5 scale keeps attention away from saturation)
    ptable = torch.randn(N, L * 2 * kvdim, generator=g) * 0.5
    cases["prefix-tuning"] = dict(
        config=dict(common("PREFIX_TUNING", kvdim, KV), encoder_hidden_size=kvdim, prefix_projection=False),
        produced=ptable, virtual={"prefix": ptable}, encoder=None)
    # prefix tuning with projection: embedding [N, kvdim] → Linear(kvdim, 24) → tanh → Linear(24, L*2*kvdim)
    hid = 24
    emb = torch.randn(N, kvdim, generator=g)
    w0, b0 = torch_linear(g, kvdim, hid)
    w2, b2 = torch_linear(g, hid, L * 2 * kvdim)
    produced = torch.tanh(emb @ w0.T + b0) @ w2.T + b2
    cases["prefix-projection"] = dict(
        config=dict(common("PREFIX_TUNING", kvdim, KV), encoder_hidden_size=hid, prefix_projection=True),
        produced=produced, virtual={"prefix": produced},
        encoder={"embedding.weight": emb, "transform.0.weight": w0, "transform.0.bias": b0,
                 "transform.2.weight": w2, "transform.2.bias": b2})
    # P-tuning, MLP: Linear(h, 20) ReLU Linear(20, 20) ReLU Linear(20, h)
    hid = 20
    emb = torch.randn(N, h, generator=g)
    m0, c0 = torch_linear(g, h, hid)
    m2, c2 = torch_linear(g, hid, hid)
    m4, c4 = torch_linear(g, hid, h)
    relu = torch.relu
    produced = relu(relu(emb @ m0.T + c0) @ m2.T + c2) @ m4.T + c4
    cases["p-tuning-mlp"] = dict(
        config=dict(common("P_TUNING", h, H), encoder_dropout=0.0, encoder_hidden_size=hid, encoder_num_layers=2,
                    encoder_reparameterization_type="MLP"),
        produced=produced, virtual={"prompt": produced},
        encoder={"embedding.weight": emb, "mlp_head.0.weight": m0, "mlp_head.0.bias": c0,
                 "mlp_head.2.weight": m2, "mlp_head.2.bias": c2, "mlp_head.4.weight": m4, "mlp_head.4.bias": c4})
    # P-tuning, LSTM: bidirectional 2-layer LSTM(h → 12) then Linear(24, 24) ReLU Linear(24, h)
    hid = 12
    emb = torch.randn(N, h, generator=g)
    lstm = torch.nn.LSTM(input_size=h, hidden_size=hid, num_layers=2, bidirectional=True, batch_first=True)
    with torch.no_grad():
        for p in lstm.parameters():
            p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) / hid ** 0.5)
    l0, e0 = torch_linear(g, 2 * hid, 2 * hid)
    l2, e2 = torch_linear(g, 2 * hid, h)
    with torch.no_grad():
        seq = lstm(emb[None])[0][0]
    produced = relu(seq @ l0.T + e0) @ l2.T + e2
    enc = {"embedding.weight": emb, "mlp_head.0.weight": l0, "mlp_head.0.bias": e0,
           "mlp_head.2.weight": l2, "mlp_head.2.bias": e2}
    enc.update({f"lstm_head.{k}": v.detach() for k, v in lstm.named_parameters()})
    cases["p-tuning-lstm"] = dict(
        config=dict(common("P_TUNING", h, H), encoder_dropout=0.0, encoder_hidden_size=hid, encoder_num_layers=2,
                    encoder_reparameterization_type="LSTM"),
        produced=produced, virtual={"prompt": produced}, encoder=enc)

    os.makedirs(OUT, exist_ok=True)
    expected = {"input_ids": ids.tolist(), "attention_mask": pmask.tolist(), "prompts": prompts,
                "num_virtual_tokens": N, "cases": {}}
    arrays = {}
    for name, case in cases.items():
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "adapter_config.json"), "w") as f:
            json.dump(case["config"], f, indent=2, sort_keys=True)
        write_safetensors(os.path.join(d, "adapter_model.safetensors"), {"prompt_embeddings": case["produced"]})
        if case["encoder"]:
            write_safetensors(os.path.join(d, "encoder.safetensors"), case["encoder"])
        full = forward(cfg, W, ids, torch.ones_like(ids), **case["virtual"])
        padded = forward(cfg, W, ids, pmask, **case["virtual"])
        arrays[f"{name}.logits"] = full
        arrays[f"{name}.padded"] = padded
        arrays[f"{name}.produced"] = case["produced"]
        expected["cases"][name] = {"greedy": greedy(cfg, W, prompts, **case["virtual"])}
        print(name, "logit range", float(full.min()), float(full.max()), "greedy", expected["cases"][name]["greedy"])
    arrays["base.logits"] = forward(cfg, W, ids, torch.ones_like(ids))
    write_safetensors(os.path.join(OUT, "expected.safetensors"), arrays)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
