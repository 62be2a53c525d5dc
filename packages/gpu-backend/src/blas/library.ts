/**
 * Finding and loading a system BLAS through `koffi` (an FFI with prebuilt binaries: nothing to
 * compile). Only `cblas_sgemm` is needed; thread control and a version string are read where the
 * library has them (OpenBLAS, MKL, BLIS).
 *
 * Search order: env `HYDRALORA_BLAS` (`off` disables, a path loads exactly that library and
 * throws if it cannot), then the usual names: Debian/Ubuntu OpenBLAS (pthread, then openmp and
 * serial variants), Fedora/Arch `libopenblas.so.0`, Homebrew OpenBLAS, Apple Accelerate, BLIS and
 * MKL's single dynamic library. The reference `libblas.so.3` is not tried (it is slower than wasm).
 */
import { createRequire } from 'node:module';
import os from 'node:os';

export class BlasError extends Error {
  override name = 'BlasError';
}

/** CBLAS enum values (cblas.h). */
export const CBLAS_ROW_MAJOR = 101;
export const CBLAS_NO_TRANS = 111;
export const CBLAS_TRANS = 112;

/** `cblas_sgemm` with row-major order; pointers are Float32Array views (on a wasm heap or not). */
export type Sgemm = (
  order: number,
  transA: number,
  transB: number,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

/** Which family the loaded library belongs to (decides how threads are set). */
export type BlasVendor = 'openblas' | 'mkl' | 'blis' | 'accelerate' | 'other';

export interface BlasLibrary {
  vendor: BlasVendor;
  /** The path or soname that loaded. */
  path: string;
  /** `openblas_get_config()` or the vendor's version string; null where the library has none. */
  config: string | null;
  sgemm: Sgemm;
  /** Set the library's thread count (a no-op where the library offers no control). */
  setThreads(n: number): void;
  /** The library's thread count as it reports it (null where it cannot say). */
  threads(): number | null;
}

/** Where to look, in order, on this platform. */
export function blasCandidates(platform: NodeJS.Platform = process.platform, arch = os.arch()): string[] {
  if (platform === 'darwin') {
    return [
      '/System/Library/Frameworks/Accelerate.framework/Accelerate',
      '/opt/homebrew/opt/openblas/lib/libopenblas.dylib',
      '/usr/local/opt/openblas/lib/libopenblas.dylib',
      'libopenblas.dylib',
    ];
  }
  if (platform === 'win32') return ['libopenblas.dll', 'openblas.dll', 'mkl_rt.2.dll'];
  const triplet =
    arch === 'arm64' ? 'aarch64-linux-gnu' : arch === 'x64' ? 'x86_64-linux-gnu' : `${arch}-linux-gnu`;
  const debian = `/usr/lib/${triplet}`;
  return [
    `${debian}/openblas-pthread/libopenblas.so.0`,
    `${debian}/openblas-openmp/libopenblas.so.0`,
    `${debian}/openblas-serial/libopenblas.so.0`,
    `${debian}/libopenblas.so.0`,
    '/usr/lib64/libopenblas.so.0',
    '/usr/lib64/libopenblasp.so.0',
    'libopenblas.so.0',
    'libopenblas.so',
    'libblis.so.4',
    'libmkl_rt.so.2',
    'libmkl_rt.so',
  ];
}

interface KoffiLib {
  func(signature: string): (...args: unknown[]) => unknown;
  unload?(): void;
}
interface Koffi {
  load(path: string): KoffiLib;
}

function loadKoffi(): Koffi {
  try {
    return createRequire(import.meta.url)('koffi') as Koffi;
  } catch (error) {
    throw new BlasError(
      `the koffi package could not be loaded (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); reinstall @hydralora/gpu-backend`,
    );
  }
}

function optional<T>(lib: KoffiLib, signature: string): T | undefined {
  try {
    return lib.func(signature) as T;
  } catch {
    return undefined;
  }
}

/** Open one library and bind `cblas_sgemm` and whatever thread/version calls it has. */
export function openBlas(path: string): BlasLibrary {
  const koffi = loadKoffi();
  let lib: KoffiLib;
  try {
    lib = koffi.load(path);
  } catch (error) {
    throw new BlasError(
      `cannot load ${path}: ${error instanceof Error ? error.message.split('\n')[0] : error}`,
    );
  }
  const sgemm = optional<Sgemm>(
    lib,
    'void cblas_sgemm(int, int, int, int, int, int, float, const float *, int, const float *, int, float, _Inout_ float *, int)',
  );
  if (!sgemm) throw new BlasError(`${path} loaded but has no cblas_sgemm symbol (not a CBLAS library)`);
  const openblasConfig = optional<() => string>(lib, 'const char *openblas_get_config()');
  if (openblasConfig) {
    const set = optional<(n: number) => void>(lib, 'void openblas_set_num_threads(int)');
    const get = optional<() => number>(lib, 'int openblas_get_num_threads()');
    return {
      vendor: 'openblas',
      path,
      config: openblasConfig(),
      sgemm,
      setThreads: (n) => set?.(n),
      threads: () => (get ? get() : null),
    };
  }
  const mklSet = optional<(n: number) => void>(lib, 'void MKL_Set_Num_Threads(int)');
  if (mklSet) {
    const get = optional<() => number>(lib, 'int MKL_Get_Max_Threads()');
    return {
      vendor: 'mkl',
      path,
      config: 'Intel MKL',
      sgemm,
      setThreads: mklSet,
      threads: () => get?.() ?? null,
    };
  }
  const blisSet = optional<(n: number) => void>(lib, 'void bli_thread_set_num_threads(int64_t)');
  if (blisSet) {
    const info = optional<() => string>(lib, 'const char *bli_info_get_version_str()');
    const get = optional<() => number>(lib, 'int64_t bli_thread_get_num_threads()');
    return {
      vendor: 'blis',
      path,
      config: info ? `BLIS ${info()}` : 'BLIS',
      sgemm,
      setThreads: blisSet,
      threads: () => (get ? Number(get()) : null),
    };
  }
  const accelerate = path.includes('Accelerate');
  return {
    vendor: accelerate ? 'accelerate' : 'other',
    path,
    config: accelerate ? 'Apple Accelerate' : null,
    sgemm,
    setThreads: () => {},
    threads: () => null,
  };
}

/** What the search found: a library, or why there is none. */
export type BlasSearch =
  | { found: true; library: BlasLibrary }
  | { found: false; disabled: boolean; reason: string; tried: string[] };

/**
 * Find a BLAS: `HYDRALORA_BLAS=off` disables the search; `HYDRALORA_BLAS=<path>` loads that
 * library or throws (naming the variable and value); otherwise the first candidate that loads.
 */
export function findBlas(env: NodeJS.ProcessEnv = process.env, candidates = blasCandidates()): BlasSearch {
  const wanted = env.HYDRALORA_BLAS?.trim();
  if (wanted && /^(off|0|false|none)$/i.test(wanted)) {
    return { found: false, disabled: true, reason: `disabled by HYDRALORA_BLAS=${wanted}`, tried: [] };
  }
  if (wanted) {
    try {
      return { found: true, library: openBlas(wanted) };
    } catch (error) {
      throw new BlasError(
        `env HYDRALORA_BLAS = ${JSON.stringify(wanted)}: ${error instanceof Error ? error.message : error}. Set it to a CBLAS library's path, or to 'off'`,
      );
    }
  }
  for (const path of candidates) {
    try {
      return { found: true, library: openBlas(path) };
    } catch (error) {
      // without koffi no candidate can load: say that instead of "not found"
      if (error instanceof BlasError && /koffi package/.test(error.message)) {
        return { found: false, disabled: false, reason: error.message, tried: candidates };
      }
    }
  }
  return {
    found: false,
    disabled: false,
    reason: `no BLAS library found (tried ${candidates.length} names)`,
    tried: candidates,
  };
}
