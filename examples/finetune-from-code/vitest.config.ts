import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'example-finetune-from-code',
    include: ['*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
