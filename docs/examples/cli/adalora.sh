# AdaLoRA: start every module at rank 8, reallocate to 4 on average over the run (budget shrinks after 10 warm-up steps, the last 20 steps train at the target).
pnpm hydralora train --model checkpoints/tinyllama --data my-data.jsonl --method adalora --init-r 8 --target-r 4 --tinit 10 --tfinal 20 --delta-t 5 --orth-reg-weight 0.5 --target-modules q_proj,v_proj --num-heads 1 --steps 200 --out runs/adalora
pnpm hydralora score --model checkpoints/tinyllama --adapter runs/adalora/adapter --text "The capital of France is Paris."
