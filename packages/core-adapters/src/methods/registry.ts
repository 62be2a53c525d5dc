import { adaloraMethod } from './adalora/index.js';
import { fullMethod } from './full/index.js';
import { hydraMethod } from './hydra/index.js';
import { hydraDiverseMethod } from './hydra-diverse/index.js';
import { ia3Method } from './ia3/index.js';
import { invertedHydraMethod } from './inverted-hydra/index.js';
import { loraMethod } from './lora/index.js';
import { loraMoeMethod } from './lora-moe/index.js';
import { pTuningMethod } from './p-tuning/index.js';
import { prefixTuningMethod } from './prefix-tuning/index.js';
import { promptTuningMethod } from './prompt-tuning/index.js';
import { splitMethod } from './split/index.js';
import type { AdapterMethod } from './types.js';

/** A name → method table, fed by explicit `register` calls that throw on duplicates. */
export class MethodRegistry {
  private readonly methods = new Map<string, AdapterMethod>();

  register(method: AdapterMethod): void {
    if (this.methods.has(method.name))
      throw new Error(`method registry: '${method.name}' is already registered`);
    const clash = [...this.methods.values()].find((m) => m.peftType === method.peftType);
    if (clash)
      throw new Error(`method registry: peft_type '${method.peftType}' is already used by '${clash.name}'`);
    this.methods.set(method.name, method);
  }

  get(name: string, source = 'adapter config'): AdapterMethod {
    const method = this.methods.get(name);
    if (!method) {
      throw new Error(
        `${source}: field 'method' = ${JSON.stringify(name)} is unknown; expected one of: ${this.names().join(', ')}`,
      );
    }
    return method;
  }

  byPeftType(peftType: string, source: string): AdapterMethod {
    const method = [...this.methods.values()].find((m) => m.peftType === peftType);
    if (!method) {
      const known = [...this.methods.values()].map((m) => m.peftType).join(', ');
      throw new Error(
        `${source}: field 'peft_type' = ${JSON.stringify(peftType)} is not supported; expected one of: ${known}`,
      );
    }
    return method;
  }

  names(): string[] {
    return [...this.methods.keys()];
  }
}

/**
 * A registry with the built-in methods: lora, split, hydra, hydra-diverse, lora-moe,
 * inverted-hydra, ia3, full, the prompt-learning prompt-tuning, prefix-tuning and p-tuning, and adalora.
 */
export function createMethodRegistry(): MethodRegistry {
  const registry = new MethodRegistry();
  for (const m of [
    loraMethod,
    splitMethod,
    hydraMethod,
    hydraDiverseMethod,
    loraMoeMethod,
    invertedHydraMethod,
    ia3Method,
    fullMethod,
    promptTuningMethod,
    prefixTuningMethod,
    pTuningMethod,
    adaloraMethod,
  ]) {
    registry.register(m);
  }
  return registry;
}

/** The default registry; plugins register further methods here. */
export const methodRegistry: MethodRegistry = createMethodRegistry();
