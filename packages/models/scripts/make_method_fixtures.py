#!/usr/bin/python3
"""
Independent PyTorch (float64) reference for the adapter methods that are not B·A updates, run on
the checkpoints of make_fixtures.py:

* (IA)³ on qwen2-bias (q/k/v biases): k_proj and v_proj outputs scaled by l (bias included),
  down_proj's input scaled by l, as PEFT's IA3 Linear does. The vectors follow a closed formula
  that the TypeScript test evaluates too: l[i] = 1 + 0.3·sin(0.37·(i+1) + 1.3·layer + c), with
  c = 0 (k_proj), 1 (v_proj), 2 (down_proj).
* Full fine-tuning on llama-tied: the gradient of the loss with respect to the model's own
  weights (the tied embedding receives both its uses).

The loss is Hugging Face's causal-LM loss: mean next-token cross-entropy with labels = input_ids.
Writes src/__fixtures__/methods.reference.json (logits of the last position, the loss, gradients)
and src/__fixtures__/ia3-peft/ (the same vectors written as PEFT writes an IA3 adapter).

Run with Debian's python3-torch:
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread OMP_NUM_THREADS=1 \
    /usr/bin/python3 scripts/make_method_fixtures.py
"""
import json
import math
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "src", "__fixtures__")


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        chunk = body[a:b]
        if info["dtype"] == "F32":
            arr = np.frombuffer(chunk, dtype="<f4").astype(np.float64)
        elif info["dtype"] == "F16":
            arr = np.frombuffer(chunk, dtype="<f2").astype(np.float64)
        elif info["dtype"] == "BF16":
            bits = np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32).astype(np.float64)
        else:
            raise ValueError(f"{path}: {name}: dtype {info['dtype']} not handled")
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out


def load(name):
    d = os.path.join(FIX, name)
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(FIX, f"{name}.logits.json")) as f:
        ids = torch.tensor(json.load(f)["input_ids"])
    return cfg, read_safetensors(os.path.join(d, "model.safetensors")), ids


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def forward(cfg, W, ids, ia3=None, svd=None):
    """Logits [B, T, V]; ia3: {module name: l vector} scales k/v outputs and down_proj's input;
    svd: {module name: (A [r, in], E [r, 1], B [out, r], s)} adds PEFT's AdaLoRA update
    x (A * E)^T B^T s, s = lora_alpha / (ranknum + 1e-5)."""
    ia3 = ia3 or {}
    svd = svd or {}
    B, T = ids.shape
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = cfg["hidden_size"] // H
    eps = cfg["rms_norm_eps"]
    x = W["model.embed_tokens.weight"][ids]
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    freqs = torch.arange(T, dtype=torch.float64)[:, None] * inv
    emb = torch.cat((freqs, freqs), -1)
    cos, sin = emb.cos(), emb.sin()
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    mask = torch.zeros(T, T, dtype=torch.float64).masked_fill(~causal, float("-inf"))

    def lin(name, t):
        if name in ia3 and name.endswith("down_proj"):
            t = t * ia3[name]
        y = t @ W[name + ".weight"].T
        if name + ".bias" in W:
            y = y + W[name + ".bias"]
        if name in ia3 and not name.endswith("down_proj"):
            y = y * ia3[name]
        if name in svd:
            a, e, b, scale = svd[name]
            y = y + (t @ (a * e).T @ b.T) * scale
        return y

    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}"
        r = rms_norm(x, W[f"{p}.input_layernorm.weight"], eps)
        q = lin(f"{p}.self_attn.q_proj", r).view(B, T, H, d).transpose(1, 2)
        k = lin(f"{p}.self_attn.k_proj", r).view(B, T, KV, d).transpose(1, 2)
        v = lin(f"{p}.self_attn.v_proj", r).view(B, T, KV, d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // KV, dim=1)
        v = v.repeat_interleave(H // KV, dim=1)
        att = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(d) + mask, -1) @ v
        x = x + lin(f"{p}.self_attn.o_proj", att.transpose(1, 2).reshape(B, T, H * d))
        r = rms_norm(x, W[f"{p}.post_attention_layernorm.weight"], eps)
        act = torch.nn.functional.silu(lin(f"{p}.mlp.gate_proj", r)) * lin(f"{p}.mlp.up_proj", r)
        x = x + lin(f"{p}.mlp.down_proj", act)
    x = rms_norm(x, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else W["lm_head.weight"]
    return x @ head.T


def causal_lm_loss(logits, ids):
    V = logits.shape[-1]
    return torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1))


def ia3_vector(size, layer, c):
    i = torch.arange(size, dtype=torch.float64)
    return 1 + 0.3 * torch.sin(0.37 * (i + 1) + 1.3 * layer + c)


def write_peft_ia3(d, ia3):
    """The vectors as PEFT saves an IA3 adapter: ia3_l [out, 1] (k, v) and [1, in] (down_proj), F32."""
    os.makedirs(d, exist_ok=True)
    tensors = {}
    for name, l in ia3.items():
        v = l.detach().float()
        tensors[f"base_model.model.{name}.ia3_l"] = v.reshape(1, -1) if name.endswith("down_proj") else v.reshape(-1, 1)
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        raw = tensors[name].contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(os.path.join(d, "adapter_model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    config = {"auto_mapping": None, "base_model_name_or_path": "qwen2-bias", "exclude_modules": None,
              "fan_in_fan_out": False, "feedforward_modules": ["down_proj"], "inference_mode": True,
              "init_ia3_weights": True, "modules_to_save": None, "peft_type": "IA3", "peft_version": "0.17.1",
              "revision": None, "target_modules": ["k_proj", "v_proj", "down_proj"], "task_type": "CAUSAL_LM"}
    with open(os.path.join(d, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2)


def svd_values(shape, layer, c, amp):
    """The closed-form AdaLoRA tensors of the reference: amp·sin(0.37·(i+1) + 1.3·layer + c), row-major."""
    i = torch.arange(math.prod(shape), dtype=torch.float64)
    return (amp * torch.sin(0.37 * (i + 1) + 1.3 * layer + c)).reshape(shape)


def r8(t):
    return [round(float(v), 8) for v in t.reshape(-1).tolist()]


def main():
    torch.set_num_threads(1)
    out = {}

    cfg, W, ids = load("qwen2-bias")
    kv = cfg["num_key_value_heads"] * (cfg["hidden_size"] // cfg["num_attention_heads"])
    ia3 = {}
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}"
        ia3[f"{p}.self_attn.k_proj"] = ia3_vector(kv, layer, 0).requires_grad_()
        ia3[f"{p}.self_attn.v_proj"] = ia3_vector(kv, layer, 1).requires_grad_()
        ia3[f"{p}.mlp.down_proj"] = ia3_vector(cfg["intermediate_size"], layer, 2).requires_grad_()
    logits = forward(cfg, W, ids, ia3)
    loss = causal_lm_loss(logits, ids)
    loss.backward()
    write_peft_ia3(os.path.join(FIX, "ia3-peft"), ia3)
    out["ia3"] = {
        "model": "qwen2-bias",
        "input_ids": ids.tolist(),
        "last_logits": r8(logits[:, -1].detach()),
        "loss": float(loss),
        "grads": {name: r8(l.grad) for name, l in ia3.items()},
    }

    # AdaLoRA (PEFT SVDLinear) on q_proj and v_proj, init_r 4, lora_alpha 8.
    r, alpha = 4, 8.0
    svd = {}
    for layer in range(cfg["num_hidden_layers"]):
        for c, kind in enumerate(("q_proj", "v_proj")):
            name = f"model.layers.{layer}.self_attn.{kind}"
            out_f, in_f = W[name + ".weight"].shape
            svd[name] = (
                svd_values((r, in_f), layer, c, 0.3).requires_grad_(),
                svd_values((r, 1), layer, c + 0.5, 0.8).requires_grad_(),
                svd_values((out_f, r), layer, c + 1.0, 0.3).requires_grad_(),
                alpha / (r + 1e-5),
            )
    logits = forward(cfg, W, ids, svd=svd)
    loss = causal_lm_loss(logits, ids)
    loss.backward()
    out["adalora"] = {
        "model": "qwen2-bias",
        "r": r,
        "lora_alpha": alpha,
        "input_ids": ids.tolist(),
        "last_logits": r8(logits[:, -1].detach()),
        "loss": float(loss),
        "grads": {
            f"{name}.{key}": r8(t.grad) for name, (a, e, b, _) in svd.items() for key, t in (("lora_A", a), ("lora_E", e), ("lora_B", b))
        },
    }

    cfg, W, ids = load("llama-tied")
    W = {k: v.clone().requires_grad_() for k, v in W.items()}
    logits = forward(cfg, W, ids)
    loss = causal_lm_loss(logits, ids)
    loss.backward()
    picks = {
        "model.embed_tokens.weight": W["model.embed_tokens.weight"].grad[:4],  # rows 0..3, [4, hidden]
        "model.norm.weight": W["model.norm.weight"].grad,
        "model.layers.0.input_layernorm.weight": W["model.layers.0.input_layernorm.weight"].grad,
        "model.layers.1.self_attn.q_proj.weight": W["model.layers.1.self_attn.q_proj.weight"].grad[:2],  # [2, in]
        "model.layers.0.mlp.down_proj.weight": W["model.layers.0.mlp.down_proj.weight"].grad[:2],  # [2, in]
    }
    out["full"] = {
        "model": "llama-tied",
        "input_ids": ids.tolist(),
        "loss": float(loss),
        "grad_norm": float(torch.sqrt(sum((w.grad ** 2).sum() for w in W.values()))),
        "grads": {name: r8(g) for name, g in picks.items()},
    }
    path = os.path.join(FIX, "methods.reference.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print("ia3 loss", out["ia3"]["loss"], "full loss", out["full"]["loss"], "grad norm", out["full"]["grad_norm"])


if __name__ == "__main__":
    main()
