# HydraLoRA → one plain PEFT LoRA with the head weights fixed to ω = 1/N (rank r, B = Σᵢ ωᵢ·Bᵢ).
pnpm hydralora export --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter ./runs/tinyllama-hydra/adapter --out ./exports/tinyllama-lora --weights uniform
# Explicit ω: N numbers ≥ 0 that sum to 1, one per head.
pnpm hydralora export --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter ./runs/tinyllama-hydra/adapter --out ./exports/tinyllama-lora-mix --weights 0.1,0.2,0.3,0.4
# LoRA-Split: the LoRA of component 2 (exact for that component's samples).
pnpm hydralora export --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter ./runs/tinyllama-split/adapter --out ./exports/split-component-2 --weights head:2
# Merge into the base weights: a full model directory that runs without --adapter.
pnpm hydralora export --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter ./runs/tinyllama-hydra/adapter --out ./exports/tinyllama-merged --weights uniform --merge
pnpm hydralora generate --model ./exports/tinyllama-merged --prompt "Q: What is 12 + 30? A:"
