/** Per-layer routing statistics, accumulated on the host while enabled. */

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
}

/** Accumulates ω statistics; `record` takes host copies so it never holds tensors. */
export class RoutingTelemetry {
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

  /** The statistics so far. */
  snapshot(): RoutingSnapshot {
    const usageByComponent: Record<number, number[]> = {};
    for (const [comp, e] of [...this.byComponent.entries()].sort((a, b) => a[0] - b[0])) {
      usageByComponent[comp] = Array.from(e.sum, (s) => s / e.rows);
    }
    return {
      rows: this.rows,
      meanWeight: Array.from(this.weightSum, (s) => (this.rows ? s / this.rows : 0)),
      entropy: this.rows ? this.entropySum / this.rows : 0,
      usageByComponent,
    };
  }

  /** Forget everything recorded. */
  reset(): void {
    this.rows = 0;
    this.entropySum = 0;
    this.weightSum = new Float64Array(this.numHeads);
    this.byComponent.clear();
  }
}
