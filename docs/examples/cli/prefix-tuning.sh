# Prefix tuning with the reparameterisation MLP while training (the saved adapter holds the prefixes).
pnpm hydralora train --model ./checkpoints/tinyllama --data my-data.jsonl \
  --method prefix-tuning --num-virtual-tokens 20 --prefix-projection --num-heads 1 --out runs/prefix
pnpm hydralora score --model ./checkpoints/tinyllama --adapter runs/prefix/adapter --text "The capital of France is Paris."
