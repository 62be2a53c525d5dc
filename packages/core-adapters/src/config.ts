/**
 * The adapter configuration: one zod schema for every method, with PEFT's field names where PEFT
 * has the concept (`r`, `lora_alpha`, `lora_dropout`, `target_modules`, `rank_pattern`, …).
 */
import { formatSchemaError } from '@hydralora/common';
import { z } from 'zod';

const patternSchema = z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]);
/** target_modules: empty (the default) for prompt-learning methods, which adapt no linear. */
const targetSchema = z.union([z.array(z.string().min(1)), z.string().min(1)]);

/** Auxiliary router losses (coefficients; 0 = off, the default). */
export const routerAuxSchema = z
  .object({
    load_balance: z.number().min(0).default(0).describe('Switch/Mixtral load-balance loss coefficient'),
    importance: z.number().min(0).default(0).describe('LoRAMoE importance cv² coefficient'),
    z_loss: z.number().min(0).default(0).describe('router z-loss coefficient'),
  })
  .strict();

export const adapterConfigSchema = z
  .object({
    method: z
      .string()
      .default('lora')
      .describe(
        'adapter method: lora, split, hydra, hydra-diverse, lora-moe, inverted-hydra, ia3, full, ' +
          'prompt-tuning, prefix-tuning, p-tuning, adalora',
      ),
    r: z.number().int().positive().default(8).describe('rank r of every A/B pair'),
    lora_alpha: z.number().positive().default(16).describe('α: the update is scaled by α/r'),
    lora_dropout: z
      .number()
      .min(0)
      .lt(1)
      .default(0)
      .describe('dropout on the adapter input x (training only)'),
    use_rslora: z.boolean().default(false).describe('scale by α/√r instead of α/r (rank-stabilised LoRA)'),
    target_modules: targetSchema
      .default([])
      .describe(
        'PEFT semantics: a list matches exact names or dotted suffixes, a string is a full-match regex, ' +
          '"all-linear" is every linear but the output head (required by every method that adapts linears)',
      ),
    exclude_modules: patternSchema
      .nullable()
      .default(null)
      .describe('modules to skip, same semantics as target_modules'),
    rank_pattern: z
      .record(z.string(), z.number().int().positive())
      .default({})
      .describe('per-module rank: key is a regex matched against the end of the module name'),
    alpha_pattern: z
      .record(z.string(), z.number().positive())
      .default({})
      .describe('per-module α, like rank_pattern'),
    base_model_name_or_path: z
      .string()
      .nullable()
      .default(null)
      .describe('the base model, written to the file'),
    init_seed: z.number().int().min(0).default(0).describe('seed of the Kaiming-uniform initialisation'),
    num_heads: z
      .number()
      .int()
      .positive()
      .default(4)
      .describe('N: B heads (hydra), LoRA pairs (lora-moe), A heads (inverted-hydra), components (split)'),
    router: z.string().default('dense').describe('routing strategy name in @hydralora/router'),
    router_top_k: z.number().int().positive().nullable().default(null).describe('k of the top-k router'),
    router_input: z
      .enum(['x', 'lora_a'])
      .default('x')
      .describe('gate input: raw x (official code, W_g: N×in) or A·x (the paper text, W_g: N×r)'),
    split_router: z
      .boolean()
      .default(false)
      .describe(
        'split: learn a sample-level router (cross-entropy to the given component ids, returned by auxLoss) ' +
          'that picks the component at inference when none is given',
      ),
    router_aux: routerAuxSchema.default({ load_balance: 0, importance: 0, z_loss: 0 }),
    feedforward_modules: patternSchema
      .nullable()
      .default(null)
      .describe(
        '(IA)³: the targeted modules whose INPUT is scaled (the rest scale their output); same semantics as target_modules',
      ),
    init_ia3_weights: z
      .boolean()
      .default(true)
      .describe('(IA)³: start every scaling vector at ones (the base model); false: standard normal'),
    head_init_scale: z
      .number()
      .positive()
      .default(1)
      .describe('hydra-diverse: B heads ~ U(±scale/√(N·r)), centred so that Σᵢ Bᵢ = 0'),
    // AdaLoRA: PEFT's AdaLoraConfig keys (the budget schedule and importance smoothing).
    target_r: z
      .number()
      .int()
      .positive()
      .default(8)
      .describe('AdaLoRA: the average rank per module at the end'),
    init_r: z
      .number()
      .int()
      .positive()
      .default(12)
      .describe('AdaLoRA: the rank of every module at the start'),
    tinit: z.number().int().min(0).default(0).describe('AdaLoRA: steps of warm-up before the budget shrinks'),
    tfinal: z.number().int().min(0).default(0).describe('AdaLoRA: final steps trained at the target budget'),
    deltaT: z.number().int().positive().default(1).describe('AdaLoRA: steps between two budget allocations'),
    beta1: z.number().gt(0).lt(1).default(0.85).describe('AdaLoRA: EMA coefficient of the sensitivity'),
    beta2: z.number().gt(0).lt(1).default(0.85).describe('AdaLoRA: EMA coefficient of the uncertainty'),
    orth_reg_weight: z
      .number()
      .min(0)
      .default(0.5)
      .describe('AdaLoRA: weight of the orthogonality regularisation mean(‖PᵀP − I‖_F, ‖QQᵀ − I‖_F)'),
    rank_masks: z
      .record(z.string(), z.array(z.boolean()).min(1))
      .nullable()
      .default(null)
      .describe(
        "AdaLoRA: the triplets each module kept (PEFT writes them as a boolean rank_pattern keyed '<module>.lora_E'); " +
          'a module listed here holds only its kept triplets',
      ),
    total_step: z
      .number()
      .int()
      .positive()
      .nullable()
      .default(null)
      .describe("AdaLoRA: total training steps of the schedule (default: the trainer's steps)"),
    // Prompt learning (prompt tuning, P-tuning, prefix tuning): PEFT's PromptLearningConfig keys.
    num_virtual_tokens: z
      .number()
      .int()
      .positive()
      .default(20)
      .describe('prompt learning: N, the virtual tokens placed before every sequence'),
    prompt_tuning_init: z
      .enum(['RANDOM', 'TEXT'])
      .default('RANDOM')
      .describe(
        'prompt tuning: RANDOM (N(0, 1), as torch.nn.Embedding) or TEXT (embeddings of prompt_tuning_init_text)',
      ),
    prompt_tuning_init_text: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'prompt tuning: the text whose token embeddings (repeated or cut to N) initialise the prompt',
      ),
    encoder_reparameterization_type: z
      .enum(['MLP', 'LSTM'])
      .default('MLP')
      .describe("P-tuning: the prompt encoder, PEFT's MLP or bidirectional LSTM + MLP"),
    encoder_hidden_size: z
      .number()
      .int()
      .positive()
      .nullable()
      .default(null)
      .describe('P-tuning and prefix_projection: hidden width of the encoder (default: token_dim)'),
    encoder_num_layers: z.number().int().positive().default(2).describe('P-tuning LSTM: stacked layers'),
    encoder_dropout: z
      .number()
      .min(0)
      .lt(1)
      .default(0)
      .describe('P-tuning LSTM: dropout between the stacked layers (training only)'),
    prefix_projection: z
      .boolean()
      .default(false)
      .describe(
        'prefix tuning: produce the prefixes by an MLP from a [N, token_dim] embedding while training',
      ),
  })
  .strict();

/** A validated adapter configuration (every default filled in). */
export type AdapterConfig = z.output<typeof adapterConfigSchema>;
/** What users write: every field is optional (methods that adapt linears need `target_modules`). */
export type AdapterConfigInput = z.input<typeof adapterConfigSchema>;

/** Validate a config; errors name the source, the field and the value. */
export function parseAdapterConfig(input: unknown, source = 'adapter config'): AdapterConfig {
  const result = adapterConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new Error(formatSchemaError(result.error, { file: source, what: 'invalid adapter config', input }));
}

/** The scaling s of the update: α/r, or α/√r with rsLoRA. */
export function loraScaling(alpha: number, r: number, useRslora: boolean): number {
  return useRslora ? alpha / Math.sqrt(r) : alpha / r;
}
