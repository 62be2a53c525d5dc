/**
 * Start the fastest available tfjs backend and print what it is. On a machine with
 * @tensorflow/tfjs-node-gpu and CUDA this reports `tensorflow-gpu`; elsewhere it falls back to
 * `tensorflow`, `webgpu`, `wasm` or `cpu` and says why each earlier candidate was skipped.
 * Set HYDRALORA_BACKEND=tensorflow-gpu to require the GPU (an error explains what is missing).
 */
import { type BackendReport, describeBackend, initBackend } from '@hydralora/gpu-backend';

export async function inspectBackend(): Promise<BackendReport> {
  await initBackend();
  const report = await describeBackend();
  console.log(`backend: ${report.backend} (tfjs: ${report.tfjsBackend}) on ${report.device}`);
  for (const skip of report.skipped) console.log(`  skipped ${skip.backend}: ${skip.reason}`);
  return report;
}
