/**
 * GPU power from `nvidia-smi`: the board power of every visible NVIDIA GPU, in watts.
 */
import { execFile } from 'node:child_process';

/** Returns the power draw of each GPU (W), or null when no GPU can be queried. */
export type GpuPowerQuery = () => Promise<number[] | null>;

/** Query `nvidia-smi --query-gpu=power.draw --format=csv,noheader,nounits` (5 s timeout). */
export const nvidiaSmiPower: GpuPowerQuery = () =>
  new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=power.draw', '--format=csv,noheader,nounits'],
      { timeout: 5000 },
      (error, stdout) => {
        if (error) return resolve(null);
        resolve(parseNvidiaSmiPower(stdout));
      },
    );
  });

/** Parse nvidia-smi's csv output (one number per GPU; `[N/A]` lines are skipped). */
export function parseNvidiaSmiPower(stdout: string): number[] | null {
  const watts = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map(Number)
    .filter((w) => Number.isFinite(w) && w >= 0);
  return watts.length > 0 ? watts : null;
}
