import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'gpu-backend',
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs-core's registration files (src/register-gradients.ts) are extension-less ES modules:
    // let vite transform them and the tfjs-core modules they import (all but the tf-core.* bundles).
    server: { deps: { inline: [/@tensorflow\/tfjs-core\/dist\/(?!tf-core)/] } },
  },
});
