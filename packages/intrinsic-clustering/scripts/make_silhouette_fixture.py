#!/usr/bin/python3
"""Writes src/__fixtures__/silhouette.json, the scikit-learn reference for `cosineSilhouette`
(run with Debian's python3-sklearn: `/usr/bin/python3 scripts/make_silhouette_fixture.py`).

- dense: 24 seeded 5-dimensional points (3 loose groups, one a single point) with several labelings;
  sklearn.metrics.silhouette_score(X, labels, metric='cosine') and silhouette_samples for each;
- sparse: the rows of the TF-IDF fixture (tfidf-default.json) with two labelings.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import silhouette_samples, silhouette_score

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "src", "__fixtures__")

rng = np.random.default_rng(7)
centres = np.array([[3, 0, 0, 1, 0], [0, 3, 1, 0, 0], [0, 0, 0, 1, 3]], dtype=float)
X = np.concatenate([centres[i % 3] + rng.normal(0, 1.0, 5) for i in range(23)] + [np.array([1.0, 1, 1, 1, 1])])
X = X.reshape(24, 5)
labelings = [
    [i % 3 for i in range(23)] + [0],
    [i % 3 for i in range(23)] + [3],  # a singleton cluster: s = 0 for it
    [int(v) for v in rng.integers(0, 4, 24)],
    [0] * 12 + [1] * 12,
]
dense = [
    {
        "labels": lab,
        "score": float(silhouette_score(X, lab, metric="cosine")),
        "samples": [float(v) for v in silhouette_samples(X, lab, metric="cosine")],
    }
    for lab in labelings
]

with open(os.path.join(OUT, "tfidf-default.json")) as f:
    tf = json.load(f)
from scipy.sparse import csr_matrix

S = csr_matrix((tf["data"], tf["indices"], tf["indptr"]), shape=(len(tf["indptr"]) - 1, len(tf["vocabulary"])))
n = S.shape[0]
sparse = [
    {"labels": lab, "score": float(silhouette_score(S, lab, metric="cosine"))}
    for lab in ([i % 4 for i in range(n)], [i * 5 // n for i in range(n)])
]
with open(os.path.join(OUT, "silhouette.json"), "w") as f:
    json.dump(
        {"sklearn": sklearn.__version__, "dense": {"points": X.tolist(), "cases": dense}, "sparse": sparse},
        f,
        indent=1,
    )
