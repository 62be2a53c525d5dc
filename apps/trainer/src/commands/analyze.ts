import { initBackend } from '@hydralora/gpu-backend';
import type { Command } from 'commander';
import { runAnalyze } from '../analyze.js';
import { intOption, numberOption } from '../util/options.js';

export function register(program: Command): void {
  program
    .command('analyze')
    .description(
      "the paper's Figure 3 for an adapter: t-SNE of the A and B matrices, mean pairwise cosine similarity of A's vs B heads, and router usage per known component (--data); writes analysis.json and analysis.html",
    )
    .requiredOption('--adapter <dir>', 'adapter directory (adapter_config.json + adapter_model.safetensors)')
    .option('--model <dir>', "base model directory (default: the adapter config's base_model_name_or_path)")
    .option('--out <dir>', 'output directory', 'runs/analysis')
    .option('--data <file>', 'JSON/JSONL examples with a component field, for the router-usage heatmap')
    .option('--seed <n>', 't-SNE seed', intOption('--seed'), 0)
    .option('--perplexity <x>', 't-SNE perplexity (capped at (n-1)/3)', numberOption('--perplexity'), 10)
    .option('--json', 'print the analysis as JSON')
    .action(async (o) => {
      await initBackend();
      const result = await runAnalyze({
        ...o,
        onInfo: (m) => {
          if (!o.json && !o.quiet) process.stderr.write(`${m}\n`);
        },
      });
      if (o.json) console.log(JSON.stringify(result, null, 2));
      else {
        const f = (v: number | null) => (v === null ? '–' : v.toFixed(4));
        const s = result.summary;
        console.log(
          [
            `${result.method}, N=${result.heads}, ${result.modules} adapted modules`,
            `mean cosine, A across layers:   ${f(s.aAcrossLayers.mean)} (${s.aAcrossLayers.pairs} pairs)`,
            `mean cosine, B heads per layer: ${f(s.bWithinLayer.mean)} (${s.bWithinLayer.pairs} pairs)`,
            `analysis: ${result.files.json}\nreport: ${result.files.html}`,
          ].join('\n'),
        );
      }
    });
}
