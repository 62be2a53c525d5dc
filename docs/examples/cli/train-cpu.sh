# A Hugging Face checkpoint directory (config.json, tokenizer.json, *.safetensors) and an
# Alpaca-style JSONL file (instruction, input, output). --num-heads auto runs the clustering step.
pnpm hydralora train \
  --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 \
  --data ./data/train.jsonl \
  --method hydra --r 8 --lora-alpha 16 --num-heads auto \
  --target-modules q_proj,v_proj \
  --out ./runs/tinyllama-hydra
# Continue after an interruption from the last checkpoint (same data order and optimiser state).
pnpm hydralora train --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 --data ./data/train.jsonl --out ./runs/tinyllama-hydra --resume
