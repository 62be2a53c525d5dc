/**
 * `@hydralora/core-adapters/testing`: the conformance suites (vitest) for implementers of adapter
 * methods and of models with the virtual-token hook, and their helpers.
 */
export { type ConformanceSpec, describeAdapterConformance } from './conformance.js';
export { FakeLinear, FakeMlpModel } from './fake-model.js';
export { hostValues, maxAbsDiff, maxDiff, randomTensor, randomValues } from './helpers.js';
export {
  describeVirtualTokenConformance,
  type VirtualTokenConformanceSpec,
} from './virtual-token-conformance.js';
