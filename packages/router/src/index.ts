/**
 * @hydralora/router — mixture gates for HydraLoRA-style adapters: a registry of routing
 * strategies (dense softmax, top-k, uniform, sample-level, task-conditioned), a {@link Router}
 * holding the gate W_g, optional auxiliary losses and per-layer telemetry.
 *
 * @packageDocumentation
 */
export {
  type AuxLossWeights,
  auxLossesEnabled,
  auxLossTotal,
  importanceLoss,
  loadBalanceLoss,
  routerZLoss,
} from './aux-losses.js';
export { createRouterRegistry, RouterRegistry, routerRegistry } from './registry.js';
export { type RouteLayout, Router, type RouterOptions, routeLayout } from './router.js';
export { denseRouter } from './strategies/dense.js';
export { sampleLevelRouter } from './strategies/sample-level.js';
export { taskConditionedRouter } from './strategies/task-conditioned.js';
export { topKRouter } from './strategies/top-k.js';
export { uniformRouter } from './strategies/uniform.js';
export { type RoutingSnapshot, RoutingTelemetry, routingMutualInformation } from './telemetry.js';
export type { ForwardContext, RouteArgs, RouterStrategy } from './types.js';
