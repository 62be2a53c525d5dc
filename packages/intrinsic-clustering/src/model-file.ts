import { readFile, rename, writeFile } from 'node:fs/promises';
import { ClusterModel } from './model.js';

/** Writes `model.toJSON()` to `file` atomically (a temporary file renamed into place). */
export async function saveModel(model: ClusterModel, file: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(model.toJSON())}\n`);
  await rename(temporary, file);
}

/** Reads a model written by {@link saveModel}; errors name the file. */
export async function loadModel(file: string): Promise<ClusterModel> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot read a cluster model (${(error as Error).message})`);
  }
  try {
    return ClusterModel.fromJSON(json);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}
