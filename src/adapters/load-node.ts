/**
 * Node (CLI): an adapter from a path — a PEFT folder (LoRA or IA³), its adapter_model.safetensors
 * (adapter_config.json is read from beside it), a folder holding one adapter .gguf, or a GGUF LoRA file.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelFormatError } from '../model/errors';
import type { ByteSource } from '../model/source';
import { closeSources, fileSource, folderSources } from '../model/source-node';
import { type AnyAdapter } from './any-adapter';
import { type AdapterFormat, importAnyAdapter } from './import';
import type { AdapterImportOptions } from './peft';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from './peft';

export async function loadAdapterFromPath(
  path: string,
  options: AdapterImportOptions = {},
): Promise<{ adapter: AnyAdapter; format: AdapterFormat }> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new Error(`${path}: no such adapter file or folder`);
  const files = new Map<string, ByteSource>();
  try {
    if (info.isDirectory()) {
      for (const [name, source] of await folderSources(path)) files.set(name, source);
    } else if (path.toLowerCase().endsWith('.gguf')) {
      files.set(basename(path), await fileSource(path));
    } else if (path.toLowerCase().endsWith('.safetensors')) {
      const configPath = join(dirname(path), PEFT_CONFIG_FILE);
      if (!(await stat(configPath).catch(() => null))) {
        throw new ModelFormatError(basename(path), `${PEFT_CONFIG_FILE} is missing beside it (a PEFT adapter needs both files)`);
      }
      files.set(PEFT_CONFIG_FILE, await fileSource(configPath));
      files.set(PEFT_WEIGHTS_FILE, await fileSource(path));
    } else {
      throw new ModelFormatError(basename(path), `is not a LoRA adapter (expected a PEFT folder, ${PEFT_WEIGHTS_FILE} or a .gguf)`);
    }
    return await importAnyAdapter(files, basename(path), options);
  } finally {
    await closeSources(files.values());
  }
}
