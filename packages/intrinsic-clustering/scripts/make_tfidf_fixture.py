#!/usr/bin/python3
"""Writes the scikit-learn reference fixtures under src/__fixtures__/ (run with Debian's
python3-sklearn: `/usr/bin/python3 scripts/make_tfidf_fixture.py`).

- tfidf-corpus.json: the corpus (30 short documents written for this fixture);
- tfidf-<case>.json: TfidfVectorizer's vocabulary, idf and sparse matrix for each settings case,
  with the settings spelled as the TypeScript options;
- metrics.json: normalized_mutual_info_score and adjusted_rand_score on small label arrays.
"""
import json
import os
import re

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "src", "__fixtures__")

CORPUS = [
    "The cat sat on the mat, and the cat was happy.",
    "A dog chased the cat around the garden; the dog barked twice.",
    "Natalia sold 48 clips in April and half as many clips in May.",
    "How many clips did Natalia sell altogether in April and May?",
    "Write a Python function that returns the sum of a list of numbers.",
    "def add(a, b): return a + b  # adds two numbers",
    "Implement binary_search(arr, target) in Python and return the index.",
    "The mitochondria is the powerhouse of the cell.",
    "Which organelle produces energy in the cell? Mitochondria or ribosome?",
    "Café crème brûlée: naïve façade, déjà vu — über cool.",
    "Ελληνικά γράμματα: άλφα, βήτα, γάμμα και δέλτα.",
    "東京 は 日本 の 首都 です。東京タワー",
    "I don't think it's right; we can't stop now, they'll see.",
    "Today is Christmas Eve of 1937. What is the date tomorrow in MM/DD/YYYY?",
    "If you follow these instructions, do you return to the starting point? Take 3 steps forward.",
    "Is the following sentence plausible? The striker scored a touchdown.",
    "Solve for x: 2x + 3 = 11, then report x squared.",
    "The quick brown fox jumps over the lazy dog again and again.",
    "snake_case and camelCase identifiers: user_id, userId, USER_ID.",
    "Numbers like 3.14, 2,718 and 1e10 are tokenised as digit runs 14 718 1e10.",
    "Translate the sentence into French: the cat is on the table.",
    "Summarise the article about the election results in two sentences.",
    "The court held that the contract was void for lack of consideration.",
    "A patient presents with fever, cough and shortness of breath.",
    "Sort the words alphabetically: banana apple cherry apple.",
    "Return a list of the prime numbers below 100 in Python.",
    "The cat and the dog are friends; the cat sleeps, the dog plays.",
    "Energy, mass and the speed of light: E equals m c squared.",
    "x y z a b c",  # single characters only: no tokens
    "Clips, clips and more clips: Natalia loves clips.",
]


def our_stop_words():
    text = open(os.path.join(HERE, "..", "src", "stop-words.ts"), encoding="utf-8").read()
    body = text[text.index("= [") :]
    return re.findall(r"'([a-z]+)'", body)


CASES = {
    "default": ({}, {}),
    "sublinear": ({"sublinear_tf": True}, {"sublinearTf": True}),
    "ngram12": ({"ngram_range": (1, 2)}, {"ngramRange": [1, 2]}),
    "df-bounds": ({"min_df": 2, "max_df": 0.3}, {"minDf": 2, "maxDf": 0.3}),
    "df-proportion": ({"min_df": 0.1}, {"minDf": 0.1}),
    "stop-words": ({"stop_words": our_stop_words()}, {"stopWords": "english"}),
    "ngram-stop-sublinear": (
        {"ngram_range": (1, 3), "stop_words": our_stop_words(), "sublinear_tf": True, "lowercase": False},
        {"ngramRange": [1, 3], "stopWords": "english", "sublinearTf": True, "lowercase": False},
    ),
}


def max_features_without_tie(target):
    """A max_features near `target` whose cut-off is not a tie (numpy's argsort is unstable on ties)."""
    from sklearn.feature_extraction.text import CountVectorizer

    counts = np.asarray(CountVectorizer().fit_transform(CORPUS).sum(axis=0)).ravel()
    ordered = np.sort(counts)[::-1]
    for limit in range(target, len(ordered)):
        if ordered[limit - 1] != ordered[limit]:
            return limit
    raise RuntimeError("no tie-free max_features")


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    os.replace(path + ".tmp", path)


def main():
    os.makedirs(OUT, exist_ok=True)
    write("tfidf-corpus.json", {"sklearn": sklearn.__version__, "corpus": CORPUS})
    limit = max_features_without_tie(20)
    CASES["max-features"] = ({"max_features": limit}, {"maxFeatures": limit})
    for name, (sk, ts) in CASES.items():
        vec = TfidfVectorizer(**sk)
        x = vec.fit_transform(CORPUS).tocsr()
        x.sort_indices()
        write(
            f"tfidf-{name}.json",
            {
                "options": ts,
                "vocabulary": vec.get_feature_names_out().tolist(),
                "idf": vec.idf_.tolist(),
                "indptr": x.indptr.tolist(),
                "indices": x.indices.tolist(),
                "data": x.data.tolist(),
                "transform": {
                    "texts": ["the cat and the unknownword", "Natalia clips"],
                    "dense": vec.transform(["the cat and the unknownword", "Natalia clips"]).toarray().tolist(),
                },
            },
        )
    rng = np.random.default_rng(0)
    label_cases = [
        ([0, 0, 1, 1], [0, 0, 1, 1]),
        ([0, 0, 1, 1], [1, 1, 0, 0]),
        ([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]),
        ([0, 0, 0, 0], [0, 1, 2, 3]),
        ([0, 1, 2, 0, 3, 4, 5, 1], [1, 1, 0, 0, 2, 2, 2, 0]),
        (rng.integers(0, 4, 200).tolist(), rng.integers(0, 5, 200).tolist()),
        (rng.integers(0, 3, 300).tolist(), None),
    ]
    metrics = []
    for truth, pred in label_cases:
        if pred is None:  # a noisy copy: 80% kept
            pred = [t if rng.random() < 0.8 else int(rng.integers(0, 3)) for t in truth]
        metrics.append(
            {
                "truth": truth,
                "predicted": pred,
                "nmi": normalized_mutual_info_score(truth, pred),
                "ari": adjusted_rand_score(truth, pred),
            }
        )
    write("metrics.json", metrics)


if __name__ == "__main__":
    main()
