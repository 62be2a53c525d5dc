/** The part of nlopt-js (a WebAssembly build of NLopt; it ships no types) that LoraHub uses. */
declare module 'nlopt-js' {
  interface Optimize {
    setMinObjective(f: (x: number[], grad: number[] | null) => number, tolerance: number): void;
    setLowerBounds(bounds: number[]): void;
    setUpperBounds(bounds: number[]): void;
    setMaxeval(n: number): void;
    optimize(x0: number[]): { success: boolean; x: number[]; value: number };
  }
  const nlopt: {
    ready: Promise<void>;
    Algorithm: Record<string, unknown>;
    Optimize: new (algorithm: unknown, dimensions: number) => Optimize;
    GC: { flush(): void };
  };
  export default nlopt;
}
