# Recorded run. tiny-base: a random LLaMA (hidden 64, 2 layers, vocab 300) written by
# generateRandomCheckpoint from @hydralora/models; train.jsonl: 48 arithmetic examples.
pnpm hydralora train --model tiny-base --data train.jsonl --method hydra --r 4 --lora-alpha 8 --num-heads 3 --target-modules q_proj,v_proj --steps 20 --out run
#   adapter saved to run/adapter (4096 trainable parameters, 3.643% of the base)

# A dense (per-token) router needs a fixed ω:
pnpm hydralora export --model tiny-base --adapter run/adapter --out exports/lora
#   hydralora: run/adapter/adapter_config.json: --weights is required: method 'hydra' has 3 heads and its
#   router 'dense' chooses ω per token; pass --weights uniform, head:<i> or 3 numbers summing to 1 (the
#   export equals the adapter only where the router outputs that ω)

pnpm hydralora export --model tiny-base --adapter run/adapter --out exports/lora --weights uniform
#   adapter run/adapter: hydra, 3 heads, router dense, collapsed with ω = [0.3333, 0.3333, 0.3333]
#   wrote exports/lora/adapter_config.json, exports/lora/adapter_model.safetensors: a plain PEFT LoRA
#   (peft_type LORA), r = 4, lora_alpha = 8, 4 modules, 8 tensors (lora_A [r, in], lora_B [out, r])
#   warning: router 'dense' chooses ω per token: the export is exact only where it outputs ω = [0.3333, 0.3333, 0.3333]

pnpm hydralora export --model tiny-base --adapter run/adapter --out exports/x --weights 0.5,0.6,0
#   hydralora: --weights = "0.5,0.6,0": the weights sum to 1.1, expected 1

pnpm hydralora export --model tiny-base --adapter run/adapter --out exports/merged --weights uniform --merge
#   adapter run/adapter: hydra, 3 heads, router dense, collapsed with ω = [0.3333, 0.3333, 0.3333]
#   merged into 4 linear layers: W = W0 + (lora_alpha/r)·B·A with r = 4, lora_alpha = 8
#   wrote exports/merged: model.safetensors (F32, 21 tensors), config.json, tokenizer.json, tokenizer_config.json
#   warning: router 'dense' chooses ω per token: the export is exact only where it outputs ω = [0.3333, 0.3333, 0.3333]

# The merged model and base + exported LoRA generate the same tokens:
pnpm hydralora generate --model exports/merged --prompt "Add the numbers. 3 and 4" --max-new-tokens 8 --json
pnpm hydralora generate --model tiny-base --adapter exports/lora --prompt "Add the numbers. 3 and 4" --max-new-tokens 8 --json
#   both: "tokens":[273,141,70,255,130,88,15,72]
