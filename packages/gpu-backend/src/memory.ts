/**
 * A memory budget for the wasm heap.
 *
 * The wasm heap of tfjs-backend-wasm 4.22 is capped near 3.9 GiB (32-bit addressing), grows and
 * never shrinks, and when `_malloc` fails it returns 0 — tfjs then places the new tensor over
 * whatever lives at offset 0, silently corrupting existing tensors before any error. We wrap the
 * backend's allocator so that an allocation that would take the heap past the budget (or that
 * fails) throws a clear error instead.
 */
import * as tf from '@tensorflow/tfjs-core';

export const WASM_HEAP_CAP_BYTES = 3.9 * 1024 ** 3;

export interface MemoryBudgetOptions {
  /** Upper bound for bytes held by the wasm heap's live allocations (default: env
   * HYDRALORA_MEMORY_BUDGET_MB, else 3.5 GiB, safely below the 3.9 GiB cap). */
  budgetBytes?: number;
}

export class MemoryBudgetError extends Error {
  override name = 'MemoryBudgetError';
}

interface WasmModule {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
  /** The module's wasm exports (Emscripten's `Module.asm`). */
  asm?: { malloc?: (n: number) => number; free?: (p: number) => void };
  __hydraloraBudget?: BudgetState;
}

interface BudgetState {
  budgetBytes: number;
  liveBytes: number;
  sizes: Map<number, number>;
}

let state: BudgetState | undefined;

function defaultBudget(): number {
  const env = process.env.HYDRALORA_MEMORY_BUDGET_MB;
  if (env !== undefined) {
    const mb = Number(env);
    if (!Number.isFinite(mb) || mb <= 0) {
      throw new MemoryBudgetError(
        `env HYDRALORA_MEMORY_BUDGET_MB must be a positive number of MiB, got '${env}'`,
      );
    }
    return mb * 1024 ** 2;
  }
  return 3.5 * 1024 ** 3;
}

function format(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** Install (or update) the budget on the active backend. A no-op on backends other than wasm. */
export function installMemoryBudget(options: MemoryBudgetOptions = {}): void {
  if (tf.getBackend() !== 'wasm') return;
  const budgetBytes = options.budgetBytes ?? defaultBudget();
  if (budgetBytes > WASM_HEAP_CAP_BYTES) {
    throw new MemoryBudgetError(
      `memory budget ${format(budgetBytes)} exceeds the wasm heap cap of ${format(WASM_HEAP_CAP_BYTES)}`,
    );
  }
  const wasm = (tf.backend() as unknown as { wasm: WasmModule }).wasm;
  if (wasm.__hydraloraBudget) {
    wasm.__hydraloraBudget.budgetBytes = budgetBytes;
    state = wasm.__hydraloraBudget;
    return;
  }
  const s: BudgetState = { budgetBytes, liveBytes: 0, sizes: new Map() };
  // Emscripten's `_malloc`/`_free` are lazy stubs that replace themselves with the raw export on
  // first call — which would also replace a wrapper that still calls the stub. Wrap the raw
  // exports instead, so that the wrapper stays in place.
  const malloc = wasm.asm?.malloc ?? wasm._malloc.bind(wasm);
  const free = wasm.asm?.free ?? wasm._free.bind(wasm);
  wasm._malloc = (n: number) => {
    if (s.liveBytes + n > s.budgetBytes) {
      throw new MemoryBudgetError(
        `allocating ${format(n)} would exceed the memory budget (${format(s.liveBytes)} live of ${format(s.budgetBytes)}; ` +
          `tensors: ${tf.memory().numTensors}). Use smaller micro-batches or sequences, dispose tensors (tf.tidy), ` +
          'or raise HYDRALORA_MEMORY_BUDGET_MB (the wasm heap cannot exceed 3.9 GiB).',
      );
    }
    const ptr = malloc(n);
    if (ptr === 0 && n > 0) {
      throw new MemoryBudgetError(
        `the wasm heap could not allocate ${format(n)} (${format(s.liveBytes)} live, heap ${format(wasm.HEAPU8.byteLength)})`,
      );
    }
    s.sizes.set(ptr, n);
    s.liveBytes += n;
    return ptr;
  };
  wasm._free = (p: number) => {
    const n = s.sizes.get(p);
    if (n !== undefined) {
      s.liveBytes -= n;
      s.sizes.delete(p);
    }
    free(p);
  };
  wasm.__hydraloraBudget = s;
  state = s;
}

/** The budget in force and the bytes live under it (null where no budget applies). */
export function memoryBudget(): { budgetBytes: number | null; liveBytes: number | null } {
  if (tf.getBackend() !== 'wasm' || !state) return { budgetBytes: null, liveBytes: null };
  return { budgetBytes: state.budgetBytes, liveBytes: state.liveBytes };
}
