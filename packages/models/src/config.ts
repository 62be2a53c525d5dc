/**
 * The model configuration: Hugging Face's `config.json` for LLaMA-family decoders, validated by
 * zod. Field names are Hugging Face's, so a `config.json` from the Hub parses as-is.
 */
import { formatSchemaError } from '@hydralora/common';
import { z } from 'zod';

/** Architectures whose `config.json` this package reads (all share the LLaMA decoder). */
export const SUPPORTED_ARCHITECTURES = [
  'LlamaForCausalLM',
  'Qwen2ForCausalLM',
  'MistralForCausalLM',
] as const;

const ropeScalingSchema = z
  .object({
    /** `linear` (positions divided by `factor`) or `llama3` (Llama 3.1 frequency smoothing). */
    rope_type: z.enum(['linear', 'llama3', 'default']).optional(),
    /** Older spelling of `rope_type`. */
    type: z.enum(['linear', 'llama3', 'default']).optional(),
    factor: z.number().positive(),
    low_freq_factor: z.number().positive().optional(),
    high_freq_factor: z.number().positive().optional(),
    original_max_position_embeddings: z.number().int().positive().optional(),
  })
  .loose();

/** The keys this package uses; other keys of a Hub `config.json` are kept and ignored. */
export const llamaConfigSchema = z
  .object({
    /** Which decoder family; `LlamaForCausalLM`, `Qwen2ForCausalLM` or `MistralForCausalLM`. */
    architectures: z.array(z.string()).min(1).default(['LlamaForCausalLM']),
    /** `llama`, `qwen2` or `mistral`. */
    model_type: z.enum(['llama', 'qwen2', 'mistral']).default('llama'),
    /** Number of token ids. */
    vocab_size: z.number().int().positive(),
    /** Width of the residual stream. */
    hidden_size: z.number().int().positive(),
    /** Width of the SwiGLU MLP's hidden layer. */
    intermediate_size: z.number().int().positive(),
    /** Number of decoder layers. */
    num_hidden_layers: z.number().int().positive(),
    /** Number of query heads. */
    num_attention_heads: z.number().int().positive(),
    /** Number of key/value heads (grouped-query attention); defaults to the query heads. */
    num_key_value_heads: z.number().int().positive().optional(),
    /** Per-head width; defaults to hidden_size / num_attention_heads. */
    head_dim: z.number().int().positive().optional(),
    /** Epsilon of RMSNorm. */
    rms_norm_eps: z.number().positive().default(1e-6),
    /** Base of the rotary frequencies. */
    rope_theta: z.number().positive().default(10000),
    /** Optional rotary scaling (`linear` or `llama3`); null for none. */
    rope_scaling: ropeScalingSchema.nullable().optional(),
    /** Longest sequence the positions were trained for (informational). */
    max_position_embeddings: z.number().int().positive().default(2048),
    /** Whether `lm_head` shares the token-embedding matrix. */
    tie_word_embeddings: z.boolean().default(false),
    /** Biases on q/k/v projections (Qwen2 has them; LLaMA's `attention_bias`). */
    attention_bias: z.boolean().optional(),
    /** Bias on the MLP projections (unsupported when true). */
    mlp_bias: z.boolean().default(false),
    /** Activation of the MLP; only SiLU (SwiGLU) is supported. */
    hidden_act: z.literal('silu').default('silu'),
    /** Sliding-window attention (Mistral); only null / disabled is supported. */
    sliding_window: z.number().int().positive().nullable().optional(),
    /** Qwen2's switch for the sliding window. */
    use_sliding_window: z.boolean().optional(),
    bos_token_id: z.number().int().nullable().optional(),
    eos_token_id: z
      .union([z.number().int(), z.array(z.number().int())])
      .nullable()
      .optional(),
    pad_token_id: z.number().int().nullable().optional(),
    /** Precision of the stored weights (informational: weights are always float32 in memory). */
    torch_dtype: z.string().optional(),
  })
  .loose();

/** A validated configuration (Hugging Face field names). */
export type LlamaConfig = z.infer<typeof llamaConfigSchema>;
/** What `parseConfig` accepts: required fields plus any of the optional ones. */
export type LlamaConfigInput = z.input<typeof llamaConfigSchema>;

/**
 * Keys of Hub configs that do not change the forward pass (bookkeeping, training-only settings).
 * Any other key not in the schema is an error unless `allowUnknownKeys` is set.
 */
export const IGNORED_KEYS = [
  '_name_or_path',
  'transformers_version',
  'use_cache',
  'initializer_range',
  'pretraining_tp',
  'attention_dropout',
  'dtype',
  'max_window_layers',
  'auto_map',
  'layer_types',
  'is_decoder',
  'output_attentions',
  'output_hidden_states',
  'return_dict',
] as const;

/** Options of `parseConfig`. */
export interface ParseConfigOptions {
  /** Accept keys outside the schema and `IGNORED_KEYS` (default false: they are an error). */
  allowUnknownKeys?: boolean;
}

/** Derived sizes used by the model. */
export interface ResolvedConfig {
  config: LlamaConfig;
  headDim: number;
  numKeyValueHeads: number;
  /** Whether q/k/v projections carry a bias. */
  qkvBias: boolean;
}

/**
 * Validate a configuration object. `source` names where it came from (a file path) in errors.
 * Throws for missing or mistyped keys, an unsupported architecture, or inconsistent head sizes.
 */
export function parseConfig(raw: unknown, source = 'config', options: ParseConfigOptions = {}): LlamaConfig {
  if (raw !== null && typeof raw === 'object' && !options.allowUnknownKeys) {
    const known = new Set([...Object.keys(llamaConfigSchema.shape), ...IGNORED_KEYS]);
    const unknown = Object.keys(raw).filter((k) => !known.has(k));
    if (unknown.length > 0) {
      throw new Error(
        `${source}: unknown config key(s) ${unknown.map((k) => `"${k}"`).join(', ')}; they may change the model in a way this package does not implement (pass allowUnknownKeys to ignore them)`,
      );
    }
  }
  const result = llamaConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new Error(
      formatSchemaError(result.error, { file: source, what: 'invalid model config', input: raw }),
    );
  }
  const config = result.data;
  const arch = config.architectures[0] as string;
  if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new Error(
      `${source}: field "architectures" is ${JSON.stringify(config.architectures)}; expected one of ${SUPPORTED_ARCHITECTURES.join(', ')}`,
    );
  }
  if (config.mlp_bias) throw new Error(`${source}: field "mlp_bias" is true; MLP biases are not supported`);
  const sliding =
    config.sliding_window != null && (config.model_type !== 'qwen2' || config.use_sliding_window);
  if (sliding) {
    throw new Error(
      `${source}: field "sliding_window" is ${config.sliding_window}; sliding-window attention is not supported (set it to null)`,
    );
  }
  const resolved = resolveConfig(config, source);
  if (resolved.headDim % 2 !== 0)
    throw new Error(`${source}: head_dim ${resolved.headDim} must be even (rotary)`);
  return config;
}

/** Derived sizes; throws when head counts do not divide. */
export function resolveConfig(config: LlamaConfig, source = 'config'): ResolvedConfig {
  const heads = config.num_attention_heads;
  const kvHeads = config.num_key_value_heads ?? heads;
  if (config.head_dim === undefined && config.hidden_size % heads !== 0) {
    throw new Error(
      `${source}: hidden_size ${config.hidden_size} is not divisible by num_attention_heads ${heads} (and head_dim is not set)`,
    );
  }
  if (heads % kvHeads !== 0) {
    throw new Error(
      `${source}: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`,
    );
  }
  return {
    config,
    headDim: config.head_dim ?? config.hidden_size / heads,
    numKeyValueHeads: kvHeads,
    qkvBias: config.attention_bias ?? config.model_type === 'qwen2',
  };
}
