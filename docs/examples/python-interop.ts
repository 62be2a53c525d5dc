/**
 * Hand an adapter over to the official HydraLoRA code (PyTorch, DeepSpeed) and take one back:
 * its folder holds `adapter_config.json` (with `lora_nums`) and `adapter_model.bin` (torch.save)
 * or `adapter_model.safetensors`, with the tensors `lora_A`, `lora_B<i>` and `lora_route`.
 */
import {
  type AdaptableModel,
  type AdapterModel,
  loadOfficialHydraLora,
  saveOfficialHydraLora,
} from '@hydralora/core-adapters';

/** Python → TypeScript: inject the checkpoint the official code wrote in `dir` into `model`. */
export async function fromPython(model: AdaptableModel, dir: string): Promise<AdapterModel> {
  // adapter_model.bin is read by a restricted unpickler: it runs no pickle code, and any global
  // other than tensor storages and OrderedDict is an error naming the file and the global.
  const adapter = await loadOfficialHydraLora(model, dir);
  const { num_heads, r, lora_alpha } = adapter.config('default');
  console.log(`HydraLoRA: ${num_heads} heads, r = ${r}, lora_alpha = ${lora_alpha}`);
  return adapter;
}

/** TypeScript → Python: write a `hydra` adapter (dense router on x) where the official code loads it. */
export async function toPython(adapter: AdapterModel, dir: string): Promise<void> {
  await saveOfficialHydraLora(adapter, dir, { format: 'bin' }); // or 'safetensors'
}
