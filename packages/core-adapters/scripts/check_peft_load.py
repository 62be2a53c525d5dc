#!/usr/bin/env python3
"""Check that a plain LoRA saved by @hydralora/core-adapters loads in Hugging Face PEFT unchanged.

Usage (needs torch, safetensors and peft; optionally transformers for --base):
    python3 check_peft_load.py ADAPTER_DIR                # stand-in model built from the file's shapes
    python3 check_peft_load.py ADAPTER_DIR --base MODEL   # the real base model (PeftModel.from_pretrained)

It checks that
  1. adapter_config.json parses as PEFT's LoraConfig (peft_type LORA);
  2. every tensor is named base_model.model.<module>.lora_{A,B}.weight with A [r, in], B [out, r];
  3. PEFT loads the state dict with no missing LoRA keys and no unexpected keys;
  4. the adapted layer computes W x + b + (lora_alpha / r) * B A x (checked on random inputs).
Exit code 0 on success, 1 with a message otherwise.
"""
import argparse
import json
import os
import sys

import torch
from safetensors.torch import load_file
from peft import LoraConfig, PeftModel, get_peft_model_state_dict, set_peft_model_state_dict

PREFIX = "base_model.model."


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def stand_in_model(modules):
    """An nn.Module tree with one nn.Linear(in, out) at each adapted module path."""
    root = torch.nn.Module()
    for path, (fan_in, fan_out) in modules.items():
        parent = root
        parts = path.split(".")
        for part in parts[:-1]:
            if not hasattr(parent, part):
                parent.add_module(part, torch.nn.Module())
            parent = getattr(parent, part)
        parent.add_module(parts[-1], torch.nn.Linear(fan_in, fan_out))
    return root


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("adapter_dir")
    parser.add_argument("--base", help="a base model name or path for AutoModelForCausalLM")
    args = parser.parse_args()

    with open(os.path.join(args.adapter_dir, "adapter_config.json")) as f:
        raw = json.load(f)
    if raw.get("peft_type") != "LORA":
        fail(f"peft_type is {raw.get('peft_type')!r}: only plain LoRA files are PEFT-loadable")
    config = LoraConfig.from_pretrained(args.adapter_dir)
    tensors = load_file(os.path.join(args.adapter_dir, "adapter_model.safetensors"))

    modules = {}
    for key in tensors:
        if not key.startswith(PREFIX) or not (key.endswith(".lora_A.weight") or key.endswith(".lora_B.weight")):
            fail(f"unexpected tensor name {key}")
        module = key[len(PREFIX):].rsplit(".", 2)[0]
        a = tensors.get(f"{PREFIX}{module}.lora_A.weight")
        b = tensors.get(f"{PREFIX}{module}.lora_B.weight")
        if a is None or b is None:
            fail(f"{module}: lora_A and lora_B must both be present")
        r = config.r
        if a.shape[0] != b.shape[1]:
            fail(f"{module}: lora_A {tuple(a.shape)} and lora_B {tuple(b.shape)} disagree on r")
        if not config.rank_pattern and a.shape[0] != r:
            fail(f"{module}: r is {a.shape[0]} in the file but {r} in the config")
        modules[module] = (a.shape[1], b.shape[0])
    print(f"{len(modules)} adapted modules, r={config.r}, lora_alpha={config.lora_alpha}")

    if args.base:
        from transformers import AutoModelForCausalLM

        base = AutoModelForCausalLM.from_pretrained(args.base, torch_dtype=torch.float32)
        model = PeftModel.from_pretrained(base, args.adapter_dir)
    else:
        base = stand_in_model(modules)
        config.task_type = None  # a bare nn.Module has no generation API
        config.target_modules = sorted(modules)
        model = PeftModel(base, config)
        result = set_peft_model_state_dict(model, tensors)
        if result.unexpected_keys:
            fail(f"unexpected keys: {result.unexpected_keys}")
        missing = [k for k in result.missing_keys if "lora_" in k]
        if missing:
            fail(f"missing LoRA keys: {missing}")

    loaded = get_peft_model_state_dict(model)
    for key, value in tensors.items():
        if key not in loaded:
            fail(f"PEFT did not load {key}")
        if not torch.equal(loaded[key].float(), value.float()):
            fail(f"PEFT holds different values for {key}")

    model.eval()
    named = dict(model.named_modules())
    torch.manual_seed(0)
    for module, (fan_in, fan_out) in modules.items():
        layer = named.get(f"base_model.model.{module}")
        if layer is None:
            fail(f"module {module} not found in the PEFT model")
        x = torch.randn(3, fan_in)
        a = tensors[f"{PREFIX}{module}.lora_A.weight"].float()
        b = tensors[f"{PREFIX}{module}.lora_B.weight"].float()
        scale = layer.scaling["default"]
        with torch.no_grad():
            expected = layer.base_layer(x) + scale * (x @ a.T @ b.T)
            actual = layer(x)
        err = (actual - expected).abs().max().item()
        if err > 1e-4:
            fail(f"{module}: PEFT output differs from W x + s B A x by {err}")
    print("OK: PEFT loads the adapter unchanged")


if __name__ == "__main__":
    main()
