# (IA)³ with PEFT's LLaMA targets (k_proj, v_proj, down_proj; down_proj's input scaled).
pnpm hydralora train --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --data my-data.jsonl --method ia3 --lr 3e-3 --steps 500 --out runs/tinyllama-ia3
pnpm hydralora score --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter runs/tinyllama-ia3/adapter --text "The capital of France is Paris."
pnpm hydralora generate --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter runs/tinyllama-ia3/adapter --prompt "Q: What is 12 + 30? A:"
# Fold the vectors into the weights: a model directory that --model loads.
pnpm hydralora export --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter runs/tinyllama-ia3/adapter --out checkpoints/tinyllama-ia3-merged --merge
