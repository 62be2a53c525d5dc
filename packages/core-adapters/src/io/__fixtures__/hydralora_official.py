"""The Python side of the official-HydraLoRA interop tests, written from the official code's
layer (Clin0212/HydraLoRA, peft/tuners/lora.py) and config, not from our TypeScript.

  write DIR            DIR/bin/ (torch.save) and DIR/safetensors/ (struct + json) checkpoints in
                       the official layout, and DIR/expected.json (tensors, inputs, layer deltas)
  check DIR/FOLDER     load what TypeScript wrote (torch.load or struct) and compare it with
                       DIR/expected.json; prints {"ok": true, ...} or raises
  malicious DIR        DIR/evil/adapter_model.bin whose pickle calls os.system
"""
import json
import math
import os
import struct
import sys

import torch

PREFIX = "base_model.model."
MODULES = {"model.layers.0.self_attn.q_proj": (6, 6), "model.layers.0.mlp.up_proj": (6, 10)}
R, ALPHA, NUMS = 2, 4, 3
# Every field of the official LoraConfig (and of the PeftConfig it extends).
LORA_CONFIG_FIELDS = {
    "r", "target_modules", "lora_alpha", "lora_nums", "blc_alpha", "blc_weight", "lora_dropout",
    "merge_weights", "fan_in_fan_out", "enable_lora", "bias", "modules_to_save",
    "peft_type", "task_type", "inference_mode", "base_model_name_or_path",
}


def official_config():
    return {
        "base_model_name_or_path": "/models/tiny", "bias": "none", "blc_alpha": 0.0, "blc_weight": 0.0,
        "enable_lora": None, "fan_in_fan_out": False, "inference_mode": True, "lora_alpha": ALPHA,
        "lora_dropout": 0.05, "lora_nums": NUMS, "merge_weights": False, "modules_to_save": None,
        "peft_type": "LORA", "r": R, "target_modules": ["q_proj", "up_proj"], "task_type": "CAUSAL_LM",
    }


def state_dict():
    g = torch.Generator().manual_seed(7)
    out = {}
    for module, (fin, fout) in MODULES.items():
        out[f"{PREFIX}{module}.lora_A.weight"] = torch.randn(R, fin, generator=g) * 0.5
        for i in range(NUMS):
            out[f"{PREFIX}{module}.lora_B{i}.weight"] = torch.randn(fout, R, generator=g) * 0.3
        out[f"{PREFIX}{module}.lora_route.weight"] = torch.randn(NUMS, fin, generator=g)
    return out


def delta(sd, module, x):
    """The official Linear.forward minus the base product, in float64 (eval: no dropout)."""
    x = x.double()
    a = sd[f"{PREFIX}{module}.lora_A.weight"].double()
    route = torch.softmax(x @ sd[f"{PREFIX}{module}.lora_route.weight"].double().T, dim=-1)
    out = 0
    for i in range(NUMS):
        b = sd[f"{PREFIX}{module}.lora_B{i}.weight"].double()
        out = out + route[:, :, i : i + 1] * ((x @ a.T) @ b.T) * (ALPHA / R)
    return out


def write_safetensors(path, tensors):
    header, data, offset = {}, b"", 0
    for name in sorted(tensors):
        raw = tensors[name].contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def read_safetensors(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", name
        b, e = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(blob[8 + n + b : 8 + n + e]), dtype=torch.float32).reshape(info["shape"])
    return out


def write(root):
    sd = state_dict()
    for folder in ("bin", "safetensors"):
        os.makedirs(f"{root}/{folder}", exist_ok=True)
        with open(f"{root}/{folder}/adapter_config.json", "w") as f:
            json.dump(official_config(), f, indent=2)
    saved = dict(sd)
    # One gate stored as a transposed view (non-contiguous strides), as torch.save keeps them.
    key = f"{PREFIX}model.layers.0.mlp.up_proj.lora_route.weight"
    saved[key] = sd[key].T.contiguous().T
    assert not saved[key].is_contiguous()
    torch.save(saved, f"{root}/bin/adapter_model.bin")
    write_safetensors(f"{root}/safetensors/adapter_model.safetensors", sd)
    g = torch.Generator().manual_seed(11)
    x = torch.randn(2, 3, 6, generator=g)
    expected = {
        "tensors": {k: {"shape": list(v.shape), "values": v.reshape(-1).tolist()} for k, v in sd.items()},
        "x": x.reshape(-1).tolist(),
        "delta": {m: delta(sd, m, x).reshape(-1).tolist() for m in MODULES},
    }
    with open(f"{root}/expected.json", "w") as f:
        json.dump(expected, f)


def check(folder):
    root = os.path.dirname(folder)
    expected = json.load(open(f"{root}/expected.json"))
    config = json.load(open(f"{folder}/adapter_config.json"))
    unknown = set(config) - LORA_CONFIG_FIELDS
    assert not unknown, f"keys the official LoraConfig does not have: {unknown}"
    assert config["peft_type"] == "LORA" and config["lora_nums"] == NUMS and config["r"] == R, config
    assert config["lora_alpha"] == ALPHA and config["bias"] == "none", config
    if os.path.exists(f"{folder}/adapter_model.bin"):
        sd = torch.load(f"{folder}/adapter_model.bin")
        fmt = "bin"
    else:
        sd = read_safetensors(f"{folder}/adapter_model.safetensors")
        fmt = "safetensors"
    assert sorted(sd) == sorted(expected["tensors"]), sorted(sd)
    for k, want in expected["tensors"].items():
        got = sd[k]
        assert list(got.shape) == want["shape"], k
        assert got.dtype == torch.float32, k
        assert torch.equal(got.reshape(-1), torch.tensor(want["values"], dtype=torch.float32)), k
    x = torch.tensor(expected["x"]).reshape(2, 3, 6)
    worst = max(float((delta(sd, m, x).reshape(-1) - torch.tensor(expected["delta"][m], dtype=torch.float64)).abs().max()) for m in MODULES)
    print(json.dumps({"ok": True, "format": fmt, "tensors": len(sd), "max_delta_diff": worst}))


class Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def malicious(root):
    os.makedirs(f"{root}/evil", exist_ok=True)
    with open(f"{root}/evil/adapter_config.json", "w") as f:
        json.dump(official_config(), f)
    sd = state_dict()
    sd["payload"] = Evil(f"{root}/pwned")
    torch.save(sd, f"{root}/evil/adapter_model.bin")


if __name__ == "__main__":
    {"write": write, "check": check, "malicious": malicious}[sys.argv[1]](sys.argv[2])
