# Every weight trains; a learning rate about ten times below LoRA's.
pnpm hydralora train --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --data my-data.jsonl --method full --lr 2e-5 --steps 500 --out runs/tinyllama-full
pnpm hydralora score --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter runs/tinyllama-full/adapter --text "The capital of France is Paris."
pnpm hydralora generate --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter runs/tinyllama-full/adapter --prompt "Q: What is 12 + 30? A:"
# The fine-tuned weights with the base's config and tokenizer: a Hugging Face checkpoint.
pnpm hydralora export --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter runs/tinyllama-full/adapter --out checkpoints/tinyllama-full --merge
