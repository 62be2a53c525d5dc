/**
 * `hydralora export --model DIR --adapter DIR --out DIR [--weights uniform|head:i|w1,w2,…] [--merge]`:
 * collapse an adapter to a plain PEFT LoRA for a fixed ω over its heads (core-adapters'
 * `collapseAdapter`) and write it as a PEFT adapter directory, or with `--merge` add it into the
 * base weights (W = W₀ + (lora_alpha/r)·B·A) and write a full Hugging Face model directory
 * (models' `saveModel`, with the base's config and tokenizer files copied). The output directory
 * is built under a temporary name and renamed into place, so it never holds half an export.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import {
  AdapterModel,
  CONFIG_FILE,
  collapseAdapter,
  formatHeadWeights,
  loadAdapter,
  mergePeftLora,
  methodRegistry,
  type PeftLora,
  readAdapterConfig,
  savePeftLora,
  WEIGHTS_FILE,
  writeFileAtomic,
} from '@hydralora/core-adapters';
import { initBackend } from '@hydralora/gpu-backend';
import { checkpointShapes, type LlamaForCausalLM, loadModel, saveModel } from '@hydralora/models';
import type { Command } from 'commander';
import { UserError } from '../util/errors.js';

export interface ExportFlags {
  model: string;
  adapter: string;
  out: string;
  weights?: string;
  merge?: boolean;
}

/** Files of the base model directory that a merged model directory carries over unchanged. */
export const COPIED_MODEL_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'tokenizer.model',
  'vocab.json',
  'merges.txt',
  'chat_template.json',
  'chat_template.jinja',
] as const;

/** What `runExport` wrote: the report lines, and a warning when the export is exact only for its ω. */
export interface ExportResult {
  report: string;
  warning: string | null;
  /** The collapsed LoRA (null for methods that are not B·A updates: (IA)³, full fine-tuning). */
  lora: PeftLora | null;
  /** Files written into `--out`, in order. */
  files: string[];
}

function checkOut(flags: ExportFlags): string {
  const out = path.resolve(flags.out);
  for (const [flag, dir] of [
    ['--model', flags.model],
    ['--adapter', flags.adapter],
  ] as const) {
    if (path.resolve(dir) === out)
      throw new UserError(`--out: '${flags.out}' is the ${flag} directory; choose a new directory`);
  }
  if (existsSync(out)) {
    if (!statSync(out).isDirectory())
      throw new UserError(`--out: '${flags.out}' is a file; choose a new or empty directory`);
    const entries = readdirSync(out);
    if (entries.length > 0) {
      const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
      throw new UserError(
        `--out: '${flags.out}' exists and is not empty (${shown}); choose a new or empty directory`,
      );
    }
  }
  return out;
}

/** Merging into a weight that `saveModel` does not write (a tied lm_head) would be lost: refuse. */
function checkMergeable(model: LlamaForCausalLM, lora: PeftLora, modelDir: string): void {
  const params = model.parameters();
  const linears = model.namedLinears();
  const lost = lora.modules.filter((m) => {
    const weight = linears.get(m.name)?.weight;
    return weight !== undefined && params.get(`${m.name}.weight`) !== weight;
  });
  if (lost.length > 0) {
    throw new UserError(
      `--merge: ${lost.map((m) => m.name).join(', ')} shares its weight with model.embed_tokens.weight ` +
        `(tie_word_embeddings = true in ${path.join(modelDir, 'config.json')}), so a merged update could ` +
        'not be saved; export without --merge, or use an adapter that does not target it',
    );
  }
}

/** Write the export into a fresh temporary sibling of `out`, then rename it into place. */
async function writeDirectory(out: string, write: (dir: string) => Promise<string[]>): Promise<string[]> {
  const temp = `${out}.partial-${randomBytes(4).toString('hex')}`;
  await mkdir(temp, { recursive: true });
  try {
    const files = await write(temp);
    if (existsSync(out)) await rmdir(out); // checked empty before
    await rename(temp, out);
    return files;
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

function describeRank(lora: PeftLora): string {
  const c = lora.config as { r: number; lora_alpha: number; rank_pattern: object; alpha_pattern: object };
  const patterns = [
    Object.keys(c.rank_pattern).length ? `rank_pattern ${JSON.stringify(c.rank_pattern)}` : '',
    Object.keys(c.alpha_pattern).length ? `alpha_pattern ${JSON.stringify(c.alpha_pattern)}` : '',
  ].filter(Boolean);
  return `r = ${c.r}, lora_alpha = ${Number(c.lora_alpha.toPrecision(12))}${patterns.length ? ` (${patterns.join(', ')})` : ''}`;
}

/** Save `model` as a Hugging Face checkpoint in `dir`, with the base's own config and tokenizer files. */
async function writeModelDirectory(
  model: LlamaForCausalLM,
  modelDir: string,
  dir: string,
): Promise<string[]> {
  saveModel(model, dir);
  // The base's own config.json (every key, as written) replaces the re-serialised one.
  const copied: string[] = [];
  for (const name of COPIED_MODEL_FILES) {
    const from = path.join(modelDir, name);
    if (!existsSync(from)) continue;
    await writeFileAtomic(path.join(dir, name), await readFile(from));
    copied.push(name);
  }
  return ['model.safetensors', ...copied];
}

/**
 * Methods that are not B·A updates have no PEFT LoRA form: with `--merge`, (IA)³ is folded into
 * the weights (W·diag(l), diag(l)·W) and a full fine-tune is written as it is, each as a model
 * directory that `--model` (and transformers) loads.
 */
async function exportMerged(flags: ExportFlags, out: string, method: string): Promise<ExportResult> {
  if (flags.merge !== true)
    throw new UserError(
      `--adapter: method '${method}' is not a LoRA, so it has no PEFT LoRA form; export it with --merge (a full model directory)`,
    );
  if (flags.weights !== undefined)
    throw new UserError(`--weights: method '${method}' has no heads to weight; leave --weights out`);
  await initBackend();
  const model = loadModel(flags.model);
  try {
    const handle = await loadAdapter(model, flags.adapter, { adapter: 'export' });
    if (!handle.wholeModel('export')) handle.merge();
    const files = await writeDirectory(out, (dir) => writeModelDirectory(model, flags.model, dir));
    const how =
      method === 'full'
        ? 'the fine-tuned weights as they are'
        : `merged into ${handle.moduleLayers('export').size} linear layers`;
    return {
      report: [
        `adapter ${flags.adapter}: ${method}, ${how}`,
        `wrote ${flags.out}: model.safetensors (F32, ${checkpointShapes(model.config).length} tensors), ${files.slice(1).join(', ')}`,
      ].join('\n'),
      warning: null,
      lora: null,
      files,
    };
  } finally {
    AdapterModel.of(model).dispose();
    model.dispose();
  }
}

/** Run the command; returns the report (and a one-line warning when the export is exact only for ω). */
export async function runExport(flags: ExportFlags): Promise<ExportResult> {
  const out = checkOut(flags);
  const method = methodRegistry.get(
    (await readAdapterConfig(flags.adapter, { onWarning: () => {} })).method,
    path.join(flags.adapter, CONFIG_FILE),
  );
  if (method.createLayer || method.wholeModel) return exportMerged(flags, out, method.name);
  // Collapse from the files (host arithmetic; errors name the adapter's files), then check that the
  // adapter fits the base model by loading it there.
  const lora = await collapseAdapter(flags.adapter, {
    ...(flags.weights !== undefined ? { weights: flags.weights } : {}),
    weightsField: '--weights',
  });
  await initBackend();
  const model = loadModel(flags.model);
  try {
    await loadAdapter(model, flags.adapter, { adapter: 'export', onWarning: () => {} });
    AdapterModel.of(model).deleteAdapter('export');
    const { method, numHeads, router, weights } = lora.source;
    const lines = [
      `adapter ${flags.adapter}: ${method}` +
        (numHeads > 1
          ? `, ${numHeads} heads${router ? `, router ${router}` : ''}, collapsed with ω = ${formatHeadWeights(weights)}`
          : ''),
    ];
    let files: string[];
    if (flags.merge) {
      checkMergeable(model, lora, flags.model);
      const merged = mergePeftLora(model, lora);
      files = await writeDirectory(out, (dir) => writeModelDirectory(model, flags.model, dir));
      lines.push(
        `merged into ${merged.length} linear layers: W = W0 + (lora_alpha/r)·B·A with ${describeRank(lora)}`,
        `wrote ${flags.out}: model.safetensors (F32, ${checkpointShapes(model.config).length} tensors), ` +
          `${files.slice(1).join(', ')}`,
      );
    } else {
      files = await writeDirectory(out, async (dir) => {
        await savePeftLora(lora, dir);
        return [CONFIG_FILE, WEIGHTS_FILE];
      });
      const tensors = Object.keys(lora.tensors).length;
      lines.push(
        `wrote ${files.map((f) => path.join(flags.out, f)).join(', ')}: a plain PEFT LoRA (peft_type LORA), ` +
          `${describeRank(lora)}, ${lora.modules.length} modules, ${tensors} tensors (lora_A [r, in], lora_B [out, r])`,
      );
    }
    return { report: lines.join('\n'), warning: lora.note, lora, files };
  } finally {
    AdapterModel.of(model).dispose();
    model.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('export')
    .description(
      'collapse an adapter to a plain PEFT LoRA for fixed head weights ω, or merge it into a full model directory',
    )
    .requiredOption('--model <dir>', 'base model directory (Hugging Face layout)')
    .requiredOption('--adapter <dir>', 'adapter directory (adapter_config.json + adapter_model.safetensors)')
    .requiredOption('--out <dir>', 'new (or empty) directory to write')
    .option(
      '--weights <spec>',
      'ω over the heads: uniform, head:<i> or w1,w2,… (N numbers ≥ 0 summing to 1); default: ' +
        'uniform for the uniform router, required for other routed adapters',
    )
    .option(
      '--merge',
      'write a merged model (W = W0 + (lora_alpha/r)·B·A; (IA)³ folded into W; a full fine-tune as it is) instead of a PEFT adapter',
    )
    .action(async (flags: ExportFlags) => {
      const result = await runExport(flags);
      console.log(result.report);
      if (result.warning) console.warn(`warning: ${result.warning}`);
    });
}
