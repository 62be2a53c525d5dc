/** The part of tsne-js 1.0.3 (no bundled types) that `analyze` uses. */
declare module 'tsne-js' {
  export interface TsneConfig {
    dim?: number;
    perplexity?: number;
    earlyExaggeration?: number;
    learningRate?: number;
    nIter?: number;
    metric?: 'euclidean' | 'manhattan' | 'jaccard' | 'dice';
  }
  export default class TSNE {
    constructor(config?: TsneConfig);
    init(options: { data: number[][]; type?: 'dense' | 'sparse' }): void;
    /** Returns [final error, iterations]. */
    run(): [number, number];
    getOutput(): number[][];
    getOutputScaled(): number[][];
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
