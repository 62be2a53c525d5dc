# The same, with an adapter on top of the base model.
pnpm hydralora score --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter ./runs/tinyllama-hydra/adapter --text "The capital of France is Paris."
pnpm hydralora generate --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --adapter ./runs/tinyllama-hydra/adapter --prompt "Q: What is 12 + 30? A:"
