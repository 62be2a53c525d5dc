/**
 * Per-layer routing statistics. While routing, the sums are accumulated as tensors on the backend
 * (`recordTensors`): no host read per forward pass, so telemetry costs no synchronisation in the
 * hot path. They are read back once, when `snapshot()` is called.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A summary of the rows routed since the last reset. */
export interface RoutingSnapshot {
  /** Rows (real tokens, or samples for sample-level routing) counted. */
  rows: number;
  /** Mean ω per head. */
  meanWeight: number[];
  /** Mean routing entropy −Σᵢ ωᵢ ln ωᵢ in nats (0 = one head, ln N = uniform). */
  entropy: number;
  /** Mean ω per head for the rows of each known component (only when componentIds were given). */
  usageByComponent: Record<number, number[]>;
  /** Rows counted per known component. */
  rowsByComponent: Record<number, number>;
  /**
   * Mutual information I(head; component) in nats between the known component of a row and the
   * head it is routed to, reading ω as the distribution of the routed head: 0 when every component
   * uses the heads alike, ln N at most (each component on its own head). NaN without components.
   */
  mutualInformation: number;
}

/**
 * I(H; C) = Σ_c Σ_h p(c)·p(h|c)·ln(p(h|c)/p(h)) in nats, with p(c) ∝ `rows[c]`, p(h|c) = `usage[c][h]`
 * (the mean ω over component c's rows) and p(h) = Σ_c p(c)·p(h|c). NaN when no component has rows.
 */
export function routingMutualInformation(
  usage: Record<number, number[]>,
  rows: Record<number, number>,
): number {
  const comps = Object.keys(usage)
    .map(Number)
    .filter((c) => (rows[c] ?? 0) > 0);
  const total = comps.reduce((s, c) => s + rows[c]!, 0);
  if (total === 0) return Number.NaN;
  const heads = usage[comps[0]!]!.length;
  const marginal = new Float64Array(heads);
  for (const c of comps) usage[c]!.forEach((w, h) => (marginal[h]! += (rows[c]! / total) * w));
  let mi = 0;
  for (const c of comps) {
    const pc = rows[c]! / total;
    usage[c]!.forEach((w, h) => {
      if (w > 0 && marginal[h]! > 0) mi += pc * w * Math.log(w / marginal[h]!);
    });
  }
  return Math.max(0, mi);
}

/** Device-side running sums since the last flush (kept tensors, owned by the telemetry). */
interface PendingSums {
  /** [3 + N]: rows, entropy sum, Σω per head. */
  totals: tf.Tensor1D;
  /** component id → [1 + N]: rows, Σω per head. */
  byComponent: Record<number, tf.Tensor1D>;
}

/** Accumulates ω statistics: on the device while routing (`recordTensors`), or from host copies (`record`). */
export class RoutingTelemetry {
  private pending: PendingSums | null = null;
  private rows = 0;
  private entropySum = 0;
  private weightSum: Float64Array;
  private readonly byComponent = new Map<number, { rows: number; sum: Float64Array }>();

  constructor(readonly numHeads: number) {
    this.weightSum = new Float64Array(numHeads);
  }

  /**
   * Add rows of ω ([rows·N] row-major). `mask` (one per row, 1 = count) skips padding;
   * `rowComponent` gives each row's component id.
   */
  record(weights: Float32Array, mask?: Float32Array, rowComponent?: Int32Array): void {
    const n = this.numHeads;
    const rows = weights.length / n;
    for (let t = 0; t < rows; t++) {
      if (mask && mask[t] === 0) continue;
      this.rows++;
      let h = 0;
      const comp = rowComponent ? rowComponent[t] : undefined;
      let entry = comp === undefined ? undefined : this.byComponent.get(comp);
      if (comp !== undefined && !entry) {
        entry = { rows: 0, sum: new Float64Array(n) };
        this.byComponent.set(comp, entry);
      }
      if (entry) entry.rows++;
      for (let i = 0; i < n; i++) {
        const w = weights[t * n + i] ?? 0;
        this.weightSum[i] = (this.weightSum[i] ?? 0) + w;
        if (entry) entry.sum[i] = (entry.sum[i] ?? 0) + w;
        if (w > 0) h -= w * Math.log(w);
      }
      this.entropySum += h;
    }
  }

  /**
   * Add rows of ω [rows, N] without reading them back: masked sums (rows, entropy, Σω, and per
   * component) are added to running sums on the backend. `mask` [rows] (1 = count) skips padding.
   */
  recordTensors(weights: tf.Tensor2D, mask?: tf.Tensor1D, rowComponent?: Int32Array): void {
    const rows = weights.shape[0];
    const next = tf.tidy((): { totals: tf.Tensor1D; byComponent: Record<number, tf.Tensor1D> } => {
      const m = mask ? tf.reshape(mask, [rows, 1]) : tf.ones([rows, 1]);
      const wm = tf.mul(weights, m);
      // −Σᵢ ωᵢ ln ωᵢ per row; ω = 0 contributes 0 (ln of max(ω, tiny) keeps 0·ln 0 finite)
      const h = tf.neg(tf.sum(tf.mul(wm, tf.log(tf.maximum(weights, 1e-30))), 1, true));
      const totals = tf.concat([tf.sum(m, 0), tf.sum(h, 0), tf.sum(wm, 0)]) as tf.Tensor1D;
      const byComponent: Record<number, tf.Tensor1D> = {};
      if (rowComponent) {
        const ids = [...new Set(rowComponent)].sort((a, b) => a - b);
        const oneHot = new Float32Array(ids.length * rows);
        ids.forEach((id, c) => {
          for (let t = 0; t < rows; t++) if (rowComponent[t] === id) oneHot[c * rows + t] = 1;
        });
        // [C, rows]·[rows, 1 + N]: rows and Σω per component in one product
        const sums = tf.matMul(tf.tensor2d(oneHot, [ids.length, rows]), tf.concat([m, wm], 1));
        ids.forEach((id, c) => {
          byComponent[id] = tf.reshape(tf.slice(sums, [c, 0], [1, this.numHeads + 1]), [-1]) as tf.Tensor1D;
        });
      }
      const prev = this.pending;
      if (prev) {
        for (const [id, t] of Object.entries(prev.byComponent)) {
          const add = byComponent[Number(id)];
          byComponent[Number(id)] = add ? (tf.add(t, add) as tf.Tensor1D) : (tf.clone(t) as tf.Tensor1D);
        }
      }
      return { totals: prev ? (tf.add(prev.totals, totals) as tf.Tensor1D) : totals, byComponent };
    });
    tf.keep(next.totals);
    for (const t of Object.values(next.byComponent)) tf.keep(t);
    this.disposePending();
    this.pending = next;
  }

  /** Read the device-side sums back (one read) into the host sums. */
  private flush(): void {
    const p = this.pending;
    if (!p) return;
    const n = this.numHeads;
    const totals = p.totals.dataSync();
    this.rows += Math.round(totals[0]!);
    this.entropySum += totals[1]!;
    for (let i = 0; i < n; i++) this.weightSum[i] = (this.weightSum[i] ?? 0) + totals[2 + i]!;
    for (const [key, t] of Object.entries(p.byComponent)) {
      const id = Number(key);
      const v = t.dataSync();
      let entry = this.byComponent.get(id);
      if (!entry) {
        entry = { rows: 0, sum: new Float64Array(n) };
        this.byComponent.set(id, entry);
      }
      entry.rows += Math.round(v[0]!);
      for (let i = 0; i < n; i++) entry.sum[i] = (entry.sum[i] ?? 0) + v[1 + i]!;
    }
    this.disposePending();
  }

  private disposePending(): void {
    if (!this.pending) return;
    this.pending.totals.dispose();
    for (const t of Object.values(this.pending.byComponent)) t.dispose();
    this.pending = null;
  }

  /** The statistics so far (reads the device-side sums back once). */
  snapshot(): RoutingSnapshot {
    this.flush();
    const usageByComponent: Record<number, number[]> = {};
    const rowsByComponent: Record<number, number> = {};
    for (const [comp, e] of [...this.byComponent.entries()].sort((a, b) => a[0] - b[0])) {
      usageByComponent[comp] = Array.from(e.sum, (s) => s / e.rows);
      rowsByComponent[comp] = e.rows;
    }
    return {
      rows: this.rows,
      meanWeight: Array.from(this.weightSum, (s) => (this.rows ? s / this.rows : 0)),
      entropy: this.rows ? this.entropySum / this.rows : 0,
      usageByComponent,
      rowsByComponent,
      mutualInformation: routingMutualInformation(usageByComponent, rowsByComponent),
    };
  }

  /** Forget everything recorded. */
  reset(): void {
    this.disposePending();
    this.rows = 0;
    this.entropySum = 0;
    this.weightSum = new Float64Array(this.numHeads);
    this.byComponent.clear();
  }
}
