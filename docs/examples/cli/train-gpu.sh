# On a machine with CUDA 11.8 + cuDNN 8 and internet access during install:
npm i @tensorflow/tfjs-node-gpu@4.22.0
# Require the GPU backend: fails with the reason if it cannot be used.
HYDRALORA_BACKEND=tensorflow-gpu pnpm hydralora doctor
HYDRALORA_BACKEND=tensorflow-gpu pnpm hydralora train \
  --model ./checkpoints/TinyLlama-1.1B-Chat-v1.0 \
  --data ./data/train.jsonl \
  --method hydra --r 8 --lora-alpha 16 --num-heads auto \
  --out ./runs/tinyllama-hydra-gpu
