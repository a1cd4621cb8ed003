/**
 * The models shipped with the studio: `public/models/index.json` lists them, and their files are served from the
 * studio's own origin under `models/<id>/`, so the default model works offline and nothing is fetched elsewhere.
 */
import { blobSource, type ByteSource } from '../model/source';
import type { BundledFile, BundledModel, ModelFormat } from './protocol';

/** A shipped model that cannot be had: the manifest is malformed, or the server lacks a file it lists. */
export class BundledModelError extends Error {
  override name = 'BundledModelError';
}

const MODELS_ROOT = 'models/';
const MANIFEST = `${MODELS_ROOT}index.json`;

/** The studio's base URL; a worker's own location is inside assets/, so resolve against the app's base path. */
function studioUrl(path: string): URL {
  return new URL(`${import.meta.env.BASE_URL}${path}`, self.location.href);
}

export async function listBundledModels(): Promise<BundledModel[]> {
  const response = await fetchOk(MANIFEST);
  let json: unknown;
  try {
    json = await response.json();
  } catch (error) {
    throw new BundledModelError(`${MANIFEST} is not JSON (${String(error)})`);
  }
  return parseManifest(json);
}

/** Parses the manifest, naming the first thing that is wrong with it. */
export function parseManifest(json: unknown): BundledModel[] {
  const fail = (what: string): never => {
    throw new BundledModelError(`${MANIFEST}: ${what}`);
  };
  const models = isRecord(json) && Array.isArray(json.models) ? json.models : fail('has no "models" list');
  return models.map((entry, i): BundledModel => {
    if (!isRecord(entry)) return fail(`models[${i}] is not an object`);
    const text = (key: string): string => {
      const value = entry[key];
      return typeof value === 'string' ? value : fail(`models[${i}].${key} is not a string`);
    };
    const id = text('id');
    if (!/^[\w.-]+$/.test(id)) fail(`models[${i}].id '${id}' is not a plain folder name`);
    const formats = isRecord(entry.formats) ? entry.formats : fail(`models[${i}].formats is not an object`);
    return {
      id,
      name: text('name'),
      description: text('description'),
      license: text('license'),
      formats: Object.entries(formats).map(([format, spec]) => {
        const where = `models[${i}].formats.${format}`;
        if (format !== 'gguf' && format !== 'hf') return fail(`${where}: unknown format`);
        if (!isRecord(spec) || typeof spec.label !== 'string' || !Array.isArray(spec.files)) {
          return fail(`${where} needs a "label" and a "files" list`);
        }
        const files = spec.files.map((f, j): BundledFile => {
          const ok = isRecord(f) && typeof f.path === 'string' && Number.isSafeInteger(f.bytes) && !f.path.includes('..');
          return ok ? { path: String(f.path), bytes: Number(f.bytes) } : fail(`${where}.files[${j}] is not {path, bytes}`);
        });
        return { format, label: spec.label, files };
      }),
    };
  });
}

/**
 * Fetches every file of one format of a shipped model. A GGUF is one source; a folder is path → source with the
 * paths relative to the folder (hf/config.json → config.json), as a dropped folder would give them.
 */
export async function fetchBundledModel(
  model: BundledModel,
  format: ModelFormat,
): Promise<{ kind: 'gguf'; source: ByteSource } | { kind: 'folder'; label: string; files: Map<string, ByteSource> }> {
  const spec = model.formats.find((f) => f.format === format);
  if (!spec) throw new BundledModelError(`${model.name} is not shipped as ${format}`);
  const blobs = await Promise.all(spec.files.map((file) => fetchFile(model.id, file)));
  if (format === 'gguf') {
    if (spec.files.length !== 1) throw new BundledModelError(`${model.name}: a GGUF model is one file`);
    return { kind: 'gguf', source: blobSource(blobs[0], baseName(spec.files[0].path)) };
  }
  const files = new Map(spec.files.map((file, i) => [file.path, blobSource(blobs[i], baseName(file.path))]));
  return { kind: 'folder', label: model.name, files };
}

async function fetchFile(id: string, file: BundledFile): Promise<Blob> {
  const path = `${MODELS_ROOT}${id}/${file.path}`;
  const blob = await (await fetchOk(path)).blob();
  // A server that answers missing files with its index page (as single-page hosts do) would otherwise hand the
  // loader HTML; the manifest's size catches that and a truncated copy alike.
  if (blob.size !== file.bytes) {
    throw new BundledModelError(`${path}: the server sent ${blob.size} bytes; the manifest says ${file.bytes}`);
  }
  return blob;
}

async function fetchOk(path: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(studioUrl(path));
  } catch (error) {
    throw new BundledModelError(`${path} could not be fetched (${String(error)})`);
  }
  if (!response.ok) throw new BundledModelError(`${path}: the server answered ${response.status}`);
  return response;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
