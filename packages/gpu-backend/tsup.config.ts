import { defineConfig } from 'tsup';

export default defineConfig({
  // `parallel-worker` is the data-parallel worker script that DataParallelPool loads beside index.
  entry: { index: 'src/index.ts', 'parallel-worker': 'src/parallel/worker.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  // tfjs-core's gradient and chained-op registration files are extension-less ES modules that
  // Node cannot load: bundle them (src/register-gradients.ts). tfjs-core itself stays external.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
});
