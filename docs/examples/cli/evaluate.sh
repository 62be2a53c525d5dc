# Benchmarks in their official formats, as the paper evaluates them (MMLU zero-shot, GSM8K 8-shot,
# BBH 3-shot, HumanEval pass@k); --data is a folder or file you downloaded.
pnpm hydralora eval mmlu --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter ./runs/tinyllama-hydra/adapter --data ./data/mmlu
pnpm hydralora eval gsm8k --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter ./runs/tinyllama-hydra/adapter --data ./data/gsm8k --limit 200 --out ./runs/gsm8k.json
# Log-probabilities of a text, and a continuation of a prompt, under the base model.
pnpm hydralora score --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --text "The capital of France is Paris."
pnpm hydralora generate --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --prompt "Q: What is 12 + 30? A:" --max-new-tokens 16
