import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { type ClusterCommandOptions, register, runCluster } from './cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'cluster-cli-'));
const topics = [
  'apple banana cherry grape lemon mango',
  'car truck engine wheel brake gear',
  'violin piano guitar drum flute cello',
];
const rows = Array.from({ length: 30 }, (_, i) => {
  const words = topics[i % 3]!.split(' ');
  return {
    instruction: `${words[i % 6]} ${words[(i + 1) % 6]} ${words[(i + 3) % 6]}`,
    input: words[(i + 2) % 6],
    output: '',
  };
});
const corpus = join(dir, 'corpus.jsonl');
writeFileSync(corpus, rows.map((r) => JSON.stringify(r)).join('\n'));

const defaults: ClusterCommandOptions = {
  fields: ['instruction', 'input'],
  kMax: 6,
  seed: 0,
  reduction: 'sparse',
  ngram: [1, 1],
  restarts: 3,
  progress: false,
};

describe('hydralora cluster', () => {
  it('prints JSON with k, sse, labels, sizes and top_terms, and saves the model', async () => {
    const modelPath = join(dir, 'model.json');
    const report = JSON.parse(
      await runCluster(corpus, { ...defaults, criterion: 'elbow', json: true, saveModel: modelPath }),
    );
    expect(report.k).toBe(3);
    expect(report.criterion).toBe('elbow');
    expect(report.algorithm).toBe('kmeans');
    expect(report.sse).toHaveLength(6);
    expect(report.labels).toHaveLength(30);
    expect(report.sizes).toEqual([10, 10, 10]);
    expect(report.top_terms).toHaveLength(3);
    expect(JSON.parse(readFileSync(modelPath, 'utf8')).format).toBe('hydralora-intrinsic-clustering');
  });

  it('the default criterion, the silhouette, separates the 6 distinct documents (2 per topic)', async () => {
    const distinct = new Set(rows.map((r) => `${r.instruction} ${r.input}`));
    expect(distinct.size).toBe(6);
    const report = JSON.parse(await runCluster(corpus, { ...defaults, json: true }));
    expect(report.criterion).toBe('silhouette');
    expect(report.k).toBe(6);
    // identical documents share a cluster and distinct ones are apart: the silhouette is 1
    expect(report.silhouette[5]).toBeCloseTo(1, 12);
    expect(report.silhouette[0]).toBeNull();
    expect(report.elbow.k).toBe(3);
    const text = await runCluster(corpus, defaults);
    expect(text).toContain('chosen K = 6 (largest silhouette, 1.000; the SSE elbow would pick 3)');
  });

  it('clusters spectrally with --algorithm spectral: identical documents share a cluster', async () => {
    const report = JSON.parse(await runCluster(corpus, { ...defaults, algorithm: 'spectral', json: true }));
    expect(report.algorithm).toBe('spectral');
    expect(report.labels).toHaveLength(30);
    const byText = new Map<string, Set<number>>();
    rows.forEach((r, i) => {
      const key = `${r.instruction} ${r.input}`;
      byText.set(key, (byText.get(key) ?? new Set()).add(report.labels[i]));
    });
    for (const labels of byText.values()) expect(labels.size).toBe(1);
    expect(report.sizes.reduce((a: number, b: number) => a + b, 0)).toBe(30);
  });

  it('prints the elbow plot and clusters for people, and honours --k', async () => {
    const text = await runCluster(corpus, { ...defaults, k: 2 });
    expect(text).toContain('SSE by K (◀ the chosen K):');
    expect(text).toContain('chosen K = 2 (forced with --k)');
    expect(text).toMatch(/K=2 .*◀/);
  });

  it('warns on stderr and in the JSON when --k 3 leaves clusters empty (identical documents)', async () => {
    const same = join(dir, 'same.jsonl');
    writeFileSync(
      same,
      Array.from({ length: 20 }, () => '{"instruction": "add two numbers", "input": "1 2"}').join('\n'),
    );
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const report = JSON.parse(await runCluster(same, { ...defaults, kMax: 3, k: 3, json: true }));
      expect(report.sizes).toEqual([20, 0, 0]);
      expect(report.warnings).toHaveLength(2);
    } finally {
      spy.mockRestore();
    }
    expect(written).toEqual([
      `hydralora: warning: ${same}: the corpus has 1 distinct document(s) for K = 3: at most 1 cluster(s) can differ\n`,
      `hydralora: warning: ${same}: K = 3: cluster(s) 1, 2 are empty (sizes [20, 0, 0]); the documents do not separate into 3 groups: use a smaller K\n`,
    ]);
  });

  it('reports user mistakes naming the file, row or line', async () => {
    await expect(runCluster(corpus, { ...defaults, kMax: 40 })).rejects.toThrow(
      /corpus\.jsonl: the corpus has 30 documents, fewer than K = 40/,
    );
    await expect(runCluster(corpus, { ...defaults, fields: ['instruction', 'missing'] })).rejects.toThrow(
      /corpus\.jsonl: line 1: missing field "missing"/,
    );
    const broken = join(dir, 'broken.jsonl');
    writeFileSync(broken, '{"instruction": "a", "input": "b"}\n{oops\n');
    await expect(runCluster(broken, defaults)).rejects.toThrow(/broken\.jsonl: line 2 is not valid JSON/);
  });

  it('parses its flags with commander and rejects bad values naming the flag', async () => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    register(program);
    await expect(
      program.parseAsync(['node', 'hydralora', 'cluster', corpus, '--k-max', 'x']),
    ).rejects.toThrow(/--k-max expects an integer ≥ 1, got 'x'/);
    await expect(
      program.parseAsync(['node', 'hydralora', 'cluster', corpus, '--ngram', '2,1']),
    ).rejects.toThrow(/--ngram must be MIN,MAX/);
    await expect(
      program.parseAsync(['node', 'hydralora', 'cluster', corpus, '--criterion', 'gap']),
    ).rejects.toThrow(/--criterion must be silhouette or elbow, got 'gap'/);
    await expect(
      program.parseAsync(['node', 'hydralora', 'cluster', corpus, '--algorithm', 'dbscan']),
    ).rejects.toThrow(/--algorithm must be kmeans, spectral or auto, got 'dbscan'/);
  });
});
