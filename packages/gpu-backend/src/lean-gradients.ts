/**
 * Backpropagation that frees memory as it goes.
 *
 * tfjs-core 4.22's `engine.gradients` (behind `tf.grads`, `tf.variableGrads` and optimisers'
 * `minimize`) keeps every intermediate gradient and every tensor saved for the backward pass
 * alive until the whole backward pass ends, so a training step's peak memory is the forward
 * activations plus the gradient of every intermediate tensor. This replacement walks the same
 * tape in the same order with the same gradient functions (the results are identical), but
 *   - disposes a node's saved tensors (tfjs saves private clones) as soon as its gradient is done,
 *   - disposes the gradient of a node's outputs once the node has consumed it (unless it is the
 *     caller's `dy`, a requested gradient, or still referenced by another pending entry).
 * It is installed on the engine by `initBackend` (env HYDRALORA_LEAN_GRADIENTS=off keeps tfjs's
 * own); `installLeanGradients(false)` restores the original.
 */
import * as tf from '@tensorflow/tfjs-core';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineLike {
  gradients: GradientsFn;
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
  __hydraloraOriginalGradients?: GradientsFn;
}

type GradientsFn = (
  f: () => tf.Tensor,
  xs: tf.Tensor[],
  dy?: tf.Tensor,
  allowNoGradients?: boolean,
) => { value: tf.Tensor; grads: tf.Tensor[] };

/** Nodes of the tape on a path from some x to y (what tfjs's own filter keeps), in tape order. */
function nodesBetween(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const forward = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      forward.add(node.id);
      for (const o of node.outputs) fromX.add(o.id);
    }
  }
  const toY = new Set([y.id]);
  const keep = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (!forward.has(node.id) || !node.outputs.some((o) => toY.has(o.id))) continue;
    keep.add(node.id);
    for (const t of Object.values(node.inputs)) if (fromX.has(t.id)) toY.add(t.id);
  }
  return tape
    .filter((n) => keep.has(n.id))
    .map((n) => {
      // only inputs that lead back to an x need gradients
      const inputs: Record<string, tf.Tensor> = {};
      for (const [name, t] of Object.entries(n.inputs)) if (fromX.has(t.id)) inputs[name] = t;
      return { ...n, inputs };
    });
}

function leanGradients(this: EngineLike, ...args: Parameters<GradientsFn>): ReturnType<GradientsFn> {
  const [f, xs, dy, allowNoGradients = false] = args;
  if (xs.length === 0) throw new Error('gradients() received an empty list of xs.');
  if (dy != null && dy.dtype !== 'float32')
    throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
  const y = this.scopedRun(
    () => this.startTape(),
    () => this.endTape(),
    () => this.tidy('forward', f),
  );
  if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
  const tape = this.state.activeTape ?? [];
  const nodes = nodesBetween(tape, xs, y);
  if (!allowNoGradients && nodes.length === 0 && xs.length > 0) {
    throw new Error(
      'Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.',
    );
  }
  const lean = this.state.gradientDepth === 0; // higher-order gradients need everything kept
  return this.tidy('backward', () => {
    const grads = new Map<number, tf.Tensor>();
    const refs = new Map<tf.Tensor, number>();
    const hold = (t: tf.Tensor) => refs.set(t, (refs.get(t) ?? 0) + 1);
    const release = (t: tf.Tensor) => {
      const n = (refs.get(t) ?? 1) - 1;
      if (n > 0) refs.set(t, n);
      else {
        refs.delete(t);
        if (lean && t !== dy) t.dispose();
      }
    };
    const wanted = new Set(xs.map((x) => x.id));
    const seed = dy ?? tf.ones(y.shape);
    grads.set(y.id, seed);
    hold(seed);
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
      if (!node.gradient)
        throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const inputGradients = node.gradient(dys);
      for (const [name, x] of Object.entries(node.inputs)) {
        if (!(name in inputGradients)) {
          throw new Error(
            `Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`,
          );
        }
        const dx = this.tidy(() => inputGradients[name]!());
        if (dx.dtype !== 'float32') {
          throw new Error(
            `Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`,
          );
        }
        if (!tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new Error(
            `Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`,
          );
        }
        const current = grads.get(x.id);
        if (current == null) {
          grads.set(x.id, dx);
          hold(dx);
        } else {
          const sum = tf.add(current, dx);
          grads.set(x.id, sum);
          hold(sum);
          release(current);
          if (!refs.has(dx) && dx !== dy) dx.dispose();
        }
      }
      if (lean) {
        for (const t of node.saved ?? []) t.dispose();
        for (const o of node.outputs) {
          const g = grads.get(o.id);
          if (!g || wanted.has(o.id)) continue;
          grads.delete(o.id);
          release(g);
        }
      }
    }
    const result = xs.map((x) => grads.get(x.id)) as tf.Tensor[];
    if (lean) {
      for (const node of tape) for (const t of node.saved ?? []) t.dispose();
      this.state.activeTape = null;
    }
    return { value: y, grads: result };
  });
}

/** Replace (true, the default) or restore (false) the engine's gradient computation. */
export function installLeanGradients(enabled = true): void {
  const engine = tf.engine() as unknown as EngineLike;
  if (!engine.__hydraloraOriginalGradients) engine.__hydraloraOriginalGradients = engine.gradients;
  engine.gradients = enabled ? leanGradients : engine.__hydraloraOriginalGradients;
}

/** Whether the lean backpropagation is installed. */
export function leanGradientsInstalled(): boolean {
  return (tf.engine() as unknown as EngineLike).gradients === leanGradients;
}
