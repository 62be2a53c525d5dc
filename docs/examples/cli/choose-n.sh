# Cluster the training corpus: TF-IDF, k-means for K = 1..10, the elbow of the SSE curve,
# and the top terms of each cluster.
pnpm hydralora cluster ./data/train.jsonl --k-max 10 --stop-words --save-model ./runs/clusters.json
