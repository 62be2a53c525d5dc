import { arithmeticComponent } from './components/arithmetic.js';
import { genreComponent } from './components/genre.js';
import { posTagComponent } from './components/pos-tag.js';
import { pronunciationComponent } from './components/pronunciation.js';
import { sentimentComponent } from './components/sentiment.js';
import { valenceComponent } from './components/valence.js';
import type { InstructionComponent } from './types.js';

/** Named instruction components; `register` throws on a duplicate name. */
export class ComponentRegistry {
  private readonly components = new Map<string, InstructionComponent>();

  register(component: InstructionComponent): this {
    if (this.components.has(component.name)) {
      throw new Error(`instruction components: "${component.name}" is already registered`);
    }
    this.components.set(component.name, component);
    return this;
  }

  get(name: string): InstructionComponent {
    const component = this.components.get(name);
    if (!component) {
      throw new Error(
        `instruction components: unknown component "${name}" (known: ${this.names().join(', ')})`,
      );
    }
    return component;
  }

  names(): string[] {
    return [...this.components.keys()];
  }
}

/**
 * The six default components, in a fixed order. `sentiment` and `valence` are the interfering
 * pair: the same words under almost the same instruction, answered in different formats.
 */
export const DEFAULT_COMPONENTS: readonly InstructionComponent[] = [
  posTagComponent,
  genreComponent,
  pronunciationComponent,
  sentimentComponent,
  valenceComponent,
  arithmeticComponent,
];

/** A registry holding the default components (a fresh one each call). */
export function createDefaultRegistry(): ComponentRegistry {
  const registry = new ComponentRegistry();
  for (const component of DEFAULT_COMPONENTS) registry.register(component);
  return registry;
}
