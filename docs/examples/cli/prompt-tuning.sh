# Prompt tuning: 20 virtual tokens, random or from the embeddings of a text.
pnpm hydralora train --model ./checkpoints/tinyllama --data my-data.jsonl \
  --method prompt-tuning --num-virtual-tokens 20 --num-heads 1 --lr 3e-2 --out runs/prompt
pnpm hydralora train --model ./checkpoints/tinyllama --data my-data.jsonl \
  --method prompt-tuning --num-virtual-tokens 20 --num-heads 1 --lr 3e-2 \
  --prompt-tuning-init TEXT --prompt-tuning-init-text "Answer the question:" --out runs/prompt-text
pnpm hydralora generate --model ./checkpoints/tinyllama --adapter runs/prompt/adapter --prompt "Q: What is 12 + 30? A:"
