import { initBackend } from '@hydralora/gpu-backend';
import { beforeAll } from 'vitest';
import { describeAdapterConformance } from '../testing/conformance.js';

beforeAll(async () => {
  await initBackend();
});

const components = { componentIds: Int32Array.from([0, 0]) };

describeAdapterConformance({ method: 'lora', merge: { options: {} } });
describeAdapterConformance({
  method: 'split',
  ctx: { componentIds: Int32Array.from([1, 1]) },
  merge: { options: { component: 1 } },
});
describeAdapterConformance({
  method: 'split',
  config: { split_router: true },
  ctx: { componentIds: Int32Array.from([1, 1]) },
  merge: { options: { component: 1 }, config: { split_router: true } },
});
describeAdapterConformance({ method: 'hydra', merge: { config: { router: 'uniform' }, options: {} } });
describeAdapterConformance({
  method: 'hydra',
  // top-k with k < N is discontinuous where two logits swap rank: this seed keeps every token
  // farther than the finite-difference step from such a switch (seeds 0 and 1 do not).
  config: { router: 'top-k', router_top_k: 2, router_input: 'lora_a', init_seed: 2 },
  merge: { config: { router: 'task' }, options: { component: 2 } },
  ctx: { componentIds: Int32Array.from([2, 2]) },
});
describeAdapterConformance({
  method: 'hydra',
  config: { router: 'sample', router_aux: { load_balance: 0.1, importance: 0.1, z_loss: 0.01 } },
  merge: { config: { router: 'uniform' }, options: {} },
});
describeAdapterConformance({
  method: 'hydra-diverse',
  zeroAtInit: false,
  merge: { config: { router: 'uniform' }, options: {} },
});
describeAdapterConformance({ method: 'lora-moe', merge: { config: { router: 'uniform' }, options: {} } });
describeAdapterConformance({
  method: 'inverted-hydra',
  config: { router: 'sample' },
  ctx: components,
  merge: { config: { router: 'task' }, options: { component: 0 } },
});
describeAdapterConformance({
  method: 'ia3',
  config: { target_modules: ['q_proj', 'up_proj', 'down_proj'], feedforward_modules: ['down_proj'] },
  merge: { options: {} },
});
describeAdapterConformance({
  method: 'ia3',
  config: { target_modules: 'all-linear', feedforward_modules: '.*(up|down)_proj', init_ia3_weights: false },
  zeroAtInit: false,
  merge: { options: {} },
});
describeAdapterConformance({ method: 'full', merge: null, disable: false });
describeAdapterConformance({
  method: 'adalora',
  config: { init_r: 3, target_r: 2, lora_alpha: 4 },
  merge: { options: {} },
});
