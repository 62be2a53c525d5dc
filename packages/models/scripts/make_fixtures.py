#!/usr/bin/python3
"""
Independent reference for @hydralora/models: writes small LLaMA-family checkpoints in Hugging Face
layout (config.json + model.safetensors, safetensors written by hand) and the logits of a plain
PyTorch forward pass (float64) written from the Hugging Face reference semantics:
RMSNorm, rotary embeddings with rope_theta and rotate_half, grouped-query attention (repeat_kv),
SwiGLU MLP, optional q/k/v biases (Qwen2), tied or untied embeddings.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/make_fixtures.py
Outputs src/__fixtures__/<name>/{config.json,model.safetensors} and src/__fixtures__/<name>.logits.json
"""
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "src", "__fixtures__")

BASE = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
            hidden_act="silu", bos_token_id=1, eos_token_id=2)

CASES = {
    "llama-untied": dict(config=dict(BASE, architectures=["LlamaForCausalLM"], model_type="llama",
                                     rope_theta=10000.0, rms_norm_eps=1e-5, tie_word_embeddings=False,
                                     attention_bias=False),
                         dtype="F32", seed=1),
    "llama-tied": dict(config=dict(BASE, architectures=["LlamaForCausalLM"], model_type="llama",
                                   rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=True),
                       dtype="BF16", seed=2),
    "qwen2-bias": dict(config=dict(BASE, architectures=["Qwen2ForCausalLM"], model_type="qwen2",
                                   rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=False,
                                   sliding_window=4096, use_sliding_window=False, max_window_layers=2),
                       dtype="F16", seed=3),
}

TORCH_DTYPE = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def make_weights(cfg, seed, qkv_bias):
    g = torch.Generator().manual_seed(seed)
    h, m, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    d = h // cfg["num_attention_heads"]
    q, kv = cfg["num_attention_heads"] * d, cfg["num_key_value_heads"] * d
    w = {}

    def rnd(name, shape, std):
        w[name] = torch.randn(*shape, generator=g) * std

    def norm(name):
        w[name] = 1.0 + 0.2 * (torch.rand(h, generator=g) - 0.5)

    rnd("model.embed_tokens.weight", (v, h), 1.0)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}"
        norm(f"{p}.input_layernorm.weight")
        for name, shape in (("q_proj", (q, h)), ("k_proj", (kv, h)), ("v_proj", (kv, h))):
            rnd(f"{p}.self_attn.{name}.weight", shape, 0.3)
            if qkv_bias:
                rnd(f"{p}.self_attn.{name}.bias", (shape[0],), 0.3)
        rnd(f"{p}.self_attn.o_proj.weight", (h, q), 0.2)
        norm(f"{p}.post_attention_layernorm.weight")
        rnd(f"{p}.mlp.gate_proj.weight", (m, h), 0.2)
        rnd(f"{p}.mlp.up_proj.weight", (m, h), 0.2)
        rnd(f"{p}.mlp.down_proj.weight", (h, m), 0.2)
    norm("model.norm.weight")
    if not cfg["tie_word_embeddings"]:
        rnd("lm_head.weight", (v, h), 0.2)
    return w


def write_safetensors(path, tensors, dtype):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        stored = t.to(TORCH_DTYPE[dtype]).contiguous()
        raw = stored.view(torch.int16).numpy().tobytes() if dtype == "BF16" else stored.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def forward(cfg, w, ids, mask, pos):
    """HF LlamaForCausalLM / Qwen2ForCausalLM semantics in float64. ids, mask, pos: [B, T]."""
    B, T = ids.shape
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = cfg["hidden_size"] // H
    eps = cfg["rms_norm_eps"]
    W = {k: v.double() for k, v in w.items()}
    x = W["model.embed_tokens.weight"][ids]
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    freqs = pos.double()[..., None] * inv_freq
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]  # [B, 1, T, d]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    allowed = causal[None, None] & mask.bool()[:, None, None, :]
    bias = torch.zeros(B, 1, T, T, dtype=torch.float64).masked_fill(~allowed, torch.finfo(torch.float64).min)

    def lin(name, t):
        y = t @ W[name + ".weight"].T
        return y + W[name + ".bias"] if name + ".bias" in W else y

    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}"
        r = rms_norm(x, W[f"{p}.input_layernorm.weight"], eps)
        q = lin(f"{p}.self_attn.q_proj", r).view(B, T, H, d).transpose(1, 2)
        k = lin(f"{p}.self_attn.k_proj", r).view(B, T, KV, d).transpose(1, 2)
        v = lin(f"{p}.self_attn.v_proj", r).view(B, T, KV, d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        # repeat_kv: kv head j serves query heads j*n_rep ... (j+1)*n_rep-1
        k = k[:, :, None].expand(B, KV, H // KV, T, d).reshape(B, H, T, d)
        v = v[:, :, None].expand(B, KV, H // KV, T, d).reshape(B, H, T, d)
        scores = q @ k.transpose(2, 3) / (d ** 0.5) + bias
        attn = torch.softmax(scores, dim=-1) @ v
        x = x + lin(f"{p}.self_attn.o_proj", attn.transpose(1, 2).reshape(B, T, H * d))
        r = rms_norm(x, W[f"{p}.post_attention_layernorm.weight"], eps)
        gate = lin(f"{p}.mlp.gate_proj", r)
        x = x + lin(f"{p}.mlp.down_proj", torch.nn.functional.silu(gate) * lin(f"{p}.mlp.up_proj", r))
    x = rms_norm(x, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return x @ head.T


def main():
    for name, case in CASES.items():
        cfg = case["config"]
        qkv_bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
        w = make_weights(cfg, case["seed"], qkv_bias)
        # the reference sees exactly the stored (possibly half-precision) values
        w = {k: v.to(TORCH_DTYPE[case["dtype"]]).float() for k, v in w.items()}
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        write_safetensors(os.path.join(d, "model.safetensors"), w, case["dtype"])
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(dict(cfg, torch_dtype={"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[case["dtype"]]), f, indent=2)
        g = torch.Generator().manual_seed(100 + case["seed"])
        ids = torch.randint(0, cfg["vocab_size"], (2, 8), generator=g)
        full = torch.ones(2, 8, dtype=torch.long)
        pos = torch.arange(8)[None].expand(2, 8)
        logits = forward(cfg, w, ids, full, pos)
        # left padding: row 0 has 3 pad tokens; positions count real tokens (HF generate)
        pmask = full.clone()
        pmask[0, :3] = 0
        ppos = (pmask.cumsum(-1) - 1).masked_fill(pmask == 0, 1)
        plogits = forward(cfg, w, ids, pmask, ppos)
        def r6(t):  # 1e-6 resolution: far below the 1e-3 tolerance, a third of the bytes
            return [[[round(x, 6) for x in row] for row in seq] for seq in t.tolist()]

        out = {"input_ids": ids.tolist(), "logits": r6(logits),
               "padded": {"attention_mask": pmask.tolist(), "logits": r6(plogits)}}
        with open(os.path.join(OUT, f"{name}.logits.json"), "w") as f:
            json.dump(out, f)
        print(name, "logit range", float(logits.min()), float(logits.max()))


if __name__ == "__main__":
    main()
