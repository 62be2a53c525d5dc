import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { csrToDense } from './csr.js';
import { projectRows, truncatedSvd } from './svd.js';
import { TfidfVectorizer } from './tfidf.js';

const words =
  'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma'.split(' ');
const texts = Array.from({ length: 80 }, (_, i) =>
  Array.from({ length: 6 }, (_, j) => words[(i * 7 + j * j * 3 + (i % 5) * j) % words.length]).join(' '),
);

describe('randomised truncated SVD', () => {
  const { matrix } = TfidfVectorizer.fitTransform(texts);
  const reference = new SingularValueDecomposition(new Matrix(csrToDense(matrix)));
  const k = 4;
  const svd = truncatedSvd(matrix, { components: k, seed: 1, powerIterations: 7 });

  it('matches the exact singular values of a dense SVD (ml-matrix)', () => {
    for (let c = 0; c < k; c++) expect(svd.singularValues[c]).toBeCloseTo(reference.diagonal[c]!, 4);
  });

  it('has orthonormal components and projected ≈ x · Vᵀ ', () => {
    const d = matrix.cols;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += svd.components[a * d + j]! * svd.components[b * d + j]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 6);
      }
    }
    const projected = projectRows(matrix, svd.components, k);
    projected.forEach((v, i) => {
      expect(v).toBeCloseTo(svd.projected[i]!, 12);
    });
  });

  it('is deterministic for a seed and validates the rank', () => {
    const again = truncatedSvd(matrix, { components: k, seed: 1, powerIterations: 7 });
    expect(Array.from(again.projected)).toEqual(Array.from(svd.projected));
    expect(() => truncatedSvd(matrix, { components: matrix.cols, seed: 1 })).toThrow(/svd components/);
  });
});
