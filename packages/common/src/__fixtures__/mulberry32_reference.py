"""Independent mulberry32 (and the FNV-1a/fmix32 stable hash) in Python integers, for the rng
tests: prints JSON {uniform, shuffles, hashed, normals} for the seeds given on the command line."""
import json
import math
import sys

M = 0xFFFFFFFF


def imul(a, b):
    return (a * b) & M


def mulberry32(seed):
    a = seed & M
    while True:
        a = (a + 0x6D2B79F5) & M
        t = a
        t = imul(t ^ (t >> 15), t | 1)
        t = t ^ ((t + imul(t ^ (t >> 7), t | 61)) & M)
        yield ((t ^ (t >> 14)) & M) / 4294967296


def stable_hash(text, seed=0):
    h = (0x811C9DC5 ^ imul(seed & M, 0x9E3779B1)) & M
    for ch in text.encode("utf-16-le")[::2]:  # the test texts are ASCII
        h ^= ch
        h = imul(h, 0x01000193)
    h ^= h >> 16
    h = imul(h, 0x85EBCA6B)
    h ^= h >> 13
    h = imul(h, 0xC2B2AE35)
    h ^= h >> 16
    return h


def shuffle(n, gen):
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = math.floor(next(gen) * (i + 1))
        order[i], order[j] = order[j], order[i]
    return order


def normals(gen, count):
    out = []
    while len(out) < count:
        u = 0.0
        while u == 0.0:
            u = next(gen)
        v = next(gen)
        r = math.sqrt(-2 * math.log(u))
        out += [r * math.cos(2 * math.pi * v), r * math.sin(2 * math.pi * v)]
    return out[:count]


seeds = [int(s) for s in sys.argv[1:]]
print(json.dumps({
    "uniform": {s: [next(g) for g in [mulberry32(s)] for _ in range(64)] for s in seeds},
    "shuffles": {s: shuffle(50, mulberry32((s * 1_000_003 + 3 * 7919) & M)) for s in seeds},
    "hashed": {s: [stable_hash("rng", s)] + [next(g) for g in [mulberry32(stable_hash("rng", s))] for _ in range(16)] for s in seeds},
    "normals": {s: normals(mulberry32(s), 21) for s in seeds},
}))
