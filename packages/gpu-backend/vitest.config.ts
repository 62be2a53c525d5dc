import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'gpu-backend',
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
