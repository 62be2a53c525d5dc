import { readJsonFile, writeFileAtomic } from '@hydralora/common';
import { ClusterModel } from './model.js';

/** Writes `model.toJSON()` to `file` atomically (a temporary file renamed into place). */
export async function saveModel(model: ClusterModel, file: string): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(model.toJSON())}\n`);
}

/** Reads a model written by {@link saveModel}; errors name the file. */
export async function loadModel(file: string): Promise<ClusterModel> {
  const json = await readJsonFile(file);
  try {
    return ClusterModel.fromJSON(json);
  } catch (error) {
    const lines = (error as Error).message.split('\n');
    throw new Error(lines.map((line) => `${file}: ${line}`).join('\n'), { cause: error });
  }
}
