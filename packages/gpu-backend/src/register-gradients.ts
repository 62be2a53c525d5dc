/**
 * Registers every op's gradient and the chained tensor methods (`x.square().sum()`) with tfjs-core.
 * tfjs-core's Node entry registers neither; the union package `@tensorflow/tfjs` does, but it pulls
 * in layers, converter, data and webgl (223 MB installed) for these two side effects.
 *
 * Both modules below are tfjs-core's own registration files (the same ones `@tensorflow/tfjs`
 * imports: 101 gradients and the chained methods). They ship as extension-less ES modules that Node
 * cannot load, so tsup bundles them into our dist (`noExternal` in tsup.config.ts) and vitest
 * inlines them (vitest.config.ts), as the union package's own Node bundle does. The bundled code
 * attaches to the single engine and registries tfjs-core keeps on `globalThis`, so the user's one
 * `@tensorflow/tfjs-core` (a peer dependency) is the one that runs.
 *
 * Because importing this module is its whole purpose, package.json lists it (and the dist files that
 * inline it) under `sideEffects`; with `false` there, esbuild and users' bundlers drop it.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
