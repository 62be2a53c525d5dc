/** Build-time data for results.md: whether `hydralora repro` has written results/repro.md. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineLoader } from 'vitepress';

const table = fileURLToPath(new URL('./results/repro.md', import.meta.url));

export interface Data {
  present: boolean;
}

declare const data: Data;

export { data };

export default defineLoader({
  watch: ['./results/repro.md'],
  load(): Data {
    return { present: existsSync(table) };
  },
});
