#!/usr/bin/python3
"""Writes src/__fixtures__/silhouette-choice.json, the reference for the silhouette criterion with a
tolerance (`silhouetteChoice(ks, scores, tolerance)`), run with Debian's python3-sklearn:
`/usr/bin/python3 scripts/make_silhouette_choice_fixture.py`.

60 seeded 6-dimensional points in 4 groups (two of them fairly close). For K = 2..8 a k-means
clustering of the points (sklearn.cluster.KMeans, 10 starts, seed 0) and its cosine silhouette
(sklearn.metrics.silhouette_score(metric='cosine')); for each tolerance the K that the rule picks,
computed here independently: the smallest K whose score is >= max - tolerance * |max|.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "src", "__fixtures__")

rng = np.random.default_rng(11)
centres = np.array(
    [[4, 0, 0, 0, 1, 0], [0, 4, 0, 0, 0, 1], [0, 0, 4, 1, 0, 0], [0, 0, 1.5, 4, 0, 2]], dtype=float
)
X = np.concatenate([centres[i % 4] + rng.normal(0, 0.8, 6) for i in range(60)]).reshape(60, 6)
ks = list(range(2, 9))
fits = []
for k in ks:
    labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(X)
    fits.append({"k": k, "labels": [int(v) for v in labels], "score": float(silhouette_score(X, labels, metric="cosine"))})
scores = [f["score"] for f in fits]
best = max(scores)


def choice(tol):
    threshold = best - tol * abs(best)
    return next(k for k, s in zip(ks, scores) if s >= threshold)


tolerances = [0, 0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5]
with open(os.path.join(OUT, "silhouette-choice.json"), "w") as f:
    json.dump(
        {
            "sklearn": sklearn.__version__,
            "points": X.tolist(),
            "fits": fits,
            "choices": [{"tolerance": t, "k": choice(t)} for t in tolerances],
        },
        f,
        indent=1,
    )
print(scores, [choice(t) for t in tolerances])
