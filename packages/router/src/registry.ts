import { denseRouter } from './strategies/dense.js';
import { sampleLevelRouter } from './strategies/sample-level.js';
import { taskConditionedRouter } from './strategies/task-conditioned.js';
import { topKRouter } from './strategies/top-k.js';
import { uniformRouter } from './strategies/uniform.js';
import type { RouterStrategy } from './types.js';

/** A name → strategy table, fed by explicit `register` calls that throw on duplicates. */
export class RouterRegistry {
  private readonly strategies = new Map<string, RouterStrategy>();

  /** Add a strategy; throws when its name is taken. */
  register(strategy: RouterStrategy): void {
    if (this.strategies.has(strategy.name)) {
      throw new Error(`router registry: a strategy named '${strategy.name}' is already registered`);
    }
    this.strategies.set(strategy.name, strategy);
  }

  /** The strategy of that name; throws listing the known names otherwise. */
  get(name: string): RouterStrategy {
    const strategy = this.strategies.get(name);
    if (!strategy) {
      throw new Error(
        `router registry: unknown router '${name}', expected one of: ${this.names().join(', ')}`,
      );
    }
    return strategy;
  }

  /** Whether a strategy of that name exists. */
  has(name: string): boolean {
    return this.strategies.has(name);
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.strategies.keys()];
  }
}

/** A registry holding the five built-in strategies: dense, top-k, uniform, sample, task. */
export function createRouterRegistry(): RouterRegistry {
  const registry = new RouterRegistry();
  for (const s of [denseRouter, topKRouter, uniformRouter, sampleLevelRouter, taskConditionedRouter]) {
    registry.register(s);
  }
  return registry;
}

/** The default registry; plugins register extra strategies here. */
export const routerRegistry: RouterRegistry = createRouterRegistry();
