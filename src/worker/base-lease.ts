/**
 * One base model on the GPU per worker: the Playground's upload, lent to every other user of the same weights (a
 * Train run on that base, Compare's evaluation). No kernel writes a base weight, so sharing the buffers is safe.
 * Leases are counted and the weights go back to the allocator when the last one is let go, so unloading or
 * replacing the Playground's model never frees weights that a running job still reads.
 */
import type { GpuContext } from '../gpu/context';
import { releaseModel, type UploadedModel } from '../gpu/model/upload';
import type { FolderFile, ModelSource } from './engine-types';
import type { TrainModelSource } from './train-protocol';

/** A hold on an uploaded base: read `uploaded` while holding it, then `release` it once. */
export interface BaseLease {
  readonly uploaded: UploadedModel;
  /** Lets go of the base; a second call does nothing. The last lease let go frees the weights. */
  release(): void;
}

/** An uploaded base and the count of its leases. Its first lease is its owner's (the model session). */
export class SharedBase {
  private users = 0;
  private freed = false;

  constructor(
    private readonly ctx: GpuContext,
    private readonly uploaded: UploadedModel,
  ) {}

  lend(): BaseLease {
    if (this.freed) throw new Error('the base model is no longer on the GPU: every lease of it was let go');
    this.users++;
    let held = true;
    return {
      uploaded: this.uploaded,
      release: () => {
        if (!held) return;
        held = false;
        if (--this.users === 0) this.free();
      },
    };
  }

  private free(): void {
    this.freed = true;
    releaseModel(this.ctx, this.uploaded);
    // Weight-sized buffers parked in the pool would rarely be reused: give their memory back to the device.
    this.ctx.arena.trim();
  }
}

/**
 * Whether a Train run's base is the file the Playground loaded. Sources are compared, not contents: a bundled
 * model by id and format, a cached Hub model by key, a picked file by name, size and modification time (each
 * message carries its own copy of the File, so identity is lost on the way to the worker), a folder by its label
 * and each file's path, name, size and time.
 */
export function sameModelSource(loaded: ModelSource, train: TrainModelSource): boolean {
  switch (train.kind) {
    case 'bundled':
      return loaded.kind === 'bundled' && loaded.id === train.id && loaded.format === train.format;
    case 'cached':
      return loaded.kind === 'cached' && loaded.key === train.key;
    case 'gguf-file':
      return loaded.kind === 'gguf-file' && sameFile(loaded.file, train.file);
    case 'folder':
      return loaded.kind === 'folder' && loaded.label === train.label && sameFolder(loaded.files, train.files);
  }
}

/** The same paths, each the same file; a drop and a picker may list them in different orders. */
function sameFolder(a: FolderFile[], b: FolderFile[]): boolean {
  const byPath = new Map(b.map((f) => [f.path, f.file]));
  return a.length === b.length && byPath.size === b.length && a.every((f) => {
    const other = byPath.get(f.path);
    return other !== undefined && sameFile(f.file, other);
  });
}

function sameFile(a: File, b: File): boolean {
  return a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;
}
