# P-tuning with PEFT's MLP prompt encoder (256 wide), then with the bidirectional LSTM.
pnpm hydralora train --model ./checkpoints/tinyllama --data my-data.jsonl \
  --method p-tuning --num-virtual-tokens 20 --encoder-hidden-size 256 --num-heads 1 --out runs/ptuning
pnpm hydralora train --model ./checkpoints/tinyllama --data my-data.jsonl \
  --method p-tuning --num-virtual-tokens 20 --encoder-reparameterization-type LSTM \
  --encoder-hidden-size 256 --encoder-num-layers 2 --encoder-dropout 0.1 --num-heads 1 --out runs/ptuning-lstm
