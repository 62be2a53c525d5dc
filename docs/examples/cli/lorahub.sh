# Compose LoRAs trained on other tasks for a new task, from its first 20 examples.
pnpm hydralora lorahub --model checkpoints/tinyllama --adapters runs/task-a/adapter,runs/task-b/adapter,runs/task-c/adapter --data new-task.jsonl --examples 20 --out runs/lorahub/adapter
pnpm hydralora generate --model checkpoints/tinyllama --adapter runs/lorahub/adapter --prompt "Q: What is 12 + 30? A:"
