/** Which linear layers a config targets, with PEFT's matching rules, and each one's r and α. */
import type { AdapterConfig } from './config.js';

const OUTPUT_HEADS = ['lm_head', 'output', 'embed_out'];

function escapeFree(pattern: string, source: string, field: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new Error(
      `${source}: field '${field}' = ${JSON.stringify(pattern)} is not a valid regex (${error})`,
    );
  }
}

/**
 * PEFT's rule: a string is a full-match regex; a list matches a name equal to an entry or
 * ending with `.entry`.
 */
export function matchesPattern(
  name: string,
  pattern: string | string[],
  source = 'adapter config',
  field = 'target_modules',
): boolean {
  if (typeof pattern === 'string') return escapeFree(`^(?:${pattern})$`, source, field).test(name);
  return pattern.some((entry) => name === entry || name.endsWith(`.${entry}`));
}

/** The first key of a rank/alpha pattern that matches the end of the module name (PEFT's rule). */
export function patternValue<T>(
  name: string,
  patterns: Record<string, T>,
  source: string,
  field: string,
): T | undefined {
  for (const [key, value] of Object.entries(patterns)) {
    if (escapeFree(`(^|.*\\.)(?:${key})$`, source, field).test(name)) return value;
  }
  return undefined;
}

/** A targeted module and the rank and α it gets. */
export interface TargetedModule {
  name: string;
  r: number;
  alpha: number;
}

/**
 * Resolve a config against the model's linear names. Throws when nothing matches, listing the
 * available names.
 */
export function resolveTargets(
  names: string[],
  config: AdapterConfig,
  options: { outputHead?: string; source?: string } = {},
): TargetedModule[] {
  const source = options.source ?? 'adapter config';
  if (Array.isArray(config.target_modules) && config.target_modules.length === 0) {
    throw new Error(`${source}: field 'target_modules' is required for method '${config.method}'`);
  }
  const heads = options.outputHead ? [options.outputHead] : OUTPUT_HEADS;
  const isHead = (name: string) => heads.some((h) => name === h || name.endsWith(`.${h}`));
  const selected = names.filter((name) => {
    if (config.target_modules === 'all-linear') {
      if (isHead(name)) return false;
    } else if (!matchesPattern(name, config.target_modules, source, 'target_modules')) {
      return false;
    }
    return !(
      config.exclude_modules && matchesPattern(name, config.exclude_modules, source, 'exclude_modules')
    );
  });
  if (selected.length === 0) {
    throw new Error(
      `${source}: field 'target_modules' = ${JSON.stringify(config.target_modules)}` +
        (config.exclude_modules ? ` (exclude_modules = ${JSON.stringify(config.exclude_modules)})` : '') +
        ` matches none of the model's linear layers; available: ${names.join(', ')}`,
    );
  }
  return selected.map((name) => ({
    name,
    r: patternValue(name, config.rank_pattern, source, 'rank_pattern') ?? config.r,
    alpha: patternValue(name, config.alpha_pattern, source, 'alpha_pattern') ?? config.lora_alpha,
  }));
}
