#!/usr/bin/python3
"""Writes src/__fixtures__/spectral.json, the scikit-learn / NumPy reference for the spectral path
(`cosineKnnGraph`, `spectralEmbedding`, `spectralFit`), run with Debian's python3-sklearn:
`/usr/bin/python3 scripts/make_spectral_fixture.py`.

- connected: 45 seeded non-negative 6-dimensional points in 3 overlapping groups (every cosine
  similarity positive, so sklearn's neighbours and ours coincide); the graphs
  0.5 * (A + A.T) of sklearn.neighbors.kneighbors_graph(X, 8, metric='cosine',
  include_self=False) with mode='connectivity' (weights 1) and mode='distance' (weights
  1 - cosine distance); the 6 largest eigenvalues of D^-1/2 W D^-1/2 (numpy.linalg.eigh) and
  their eigenvectors; sklearn.cluster.SpectralClustering(3, affinity='precomputed') labels.
- disconnected: 30 points in 3 groups on disjoint coordinates (cosine 0 across groups): the
  kNN graph has 3 components, so eigenvalue 1 has multiplicity 3.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.cluster import SpectralClustering
from sklearn.neighbors import kneighbors_graph

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "src", "__fixtures__")


def graphs(X, k):
    a = kneighbors_graph(X, k, mode="connectivity", metric="cosine", include_self=False)
    d = kneighbors_graph(X, k, mode="distance", metric="cosine", include_self=False)
    s = d.copy()
    s.data = 1.0 - s.data
    conn = (0.5 * (a + a.T)).toarray()
    cos = (0.5 * (s + s.T)).toarray()
    return conn, cos


def top_eigen(W, count):
    deg = W.sum(axis=1)
    inv = np.where(deg > 0, 1 / np.sqrt(deg), 0)
    M = inv[:, None] * W * inv[None, :]
    values, vectors = np.linalg.eigh(M)
    order = np.argsort(-values)[:count]
    return values[order], vectors[:, order]


rng = np.random.default_rng(5)
centres = np.array([[4, 1, 0, 0, 1, 0], [0, 4, 1, 0, 0, 1], [1, 0, 0, 4, 1, 1]], dtype=float)
X = np.abs(np.stack([centres[i % 3] + rng.normal(0, 0.9, 6) for i in range(45)]))
Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
assert (Xn @ Xn.T).min() > 0
conn, cos = graphs(X, 8)
values, vectors = top_eigen(cos, 6)
labels = SpectralClustering(3, affinity="precomputed", random_state=0).fit_predict(cos)

Y = np.zeros((30, 6))
for i in range(30):
    g = i % 3
    Y[i, 2 * g : 2 * g + 2] = np.abs(rng.normal(1, 0.5, 2)) + 0.1
_, dcos = graphs(Y, 4)
dvalues, _ = top_eigen(dcos, 5)

out = {
    "sklearn": sklearn.__version__,
    "neighbors": 8,
    "connected": {
        "points": X.tolist(),
        "connectivity": conn.tolist(),
        "cosine": cos.tolist(),
        "eigenvalues": values.tolist(),
        "eigenvectors": vectors.T.tolist(),
        "spectralLabels": labels.tolist(),
        "groups": [i % 3 for i in range(45)],
    },
    "disconnected": {
        "neighbors": 4,
        "points": Y.tolist(),
        "cosine": dcos.tolist(),
        "eigenvalues": dvalues.tolist(),
    },
}
with open(os.path.join(OUT, "spectral.json"), "w") as f:
    json.dump(out, f)
print("groups vs sklearn labels:", list(zip(out["connected"]["groups"], labels.tolist()))[:9], "eig", values, dvalues)
