/**
 * The engine worker's adapter-library requests (`LibraryRequests`, joined into the one map in protocol.ts).
 * The worker does the adapter work that needs the loaded base: importing (checked against the base) and merging
 * (the base's weights are in the worker). Listing, renaming, deleting and the PEFT/GGUF exports need no base
 * weights and run on the main thread over the same IndexedDB/OPFS library.
 */
import type { AdapterRecord } from '../library/adapter-library';
import type { MergedFormat } from '../export/formats';
import type { FolderFile } from './engine-types';
import type { Spec } from './request-spec';

/**
 * Why a library request failed. 'bad-file': not an adapter that can be read; 'wrong-base': an adapter for another
 * base than the loaded one; 'no-model': the request needs a loaded base; 'not-found': no such adapter in the
 * library; 'storage': the browser refused to store or read; 'internal': a bug.
 */
export type LibraryProblemKind = 'bad-file' | 'wrong-base' | 'no-model' | 'not-found' | 'storage' | 'internal';

export interface LibraryProblem {
  kind: LibraryProblemKind;
  message: string;
}

export interface LibraryImportRequest {
  /** The folder's, archive's or file's name; the library entry is named after it. */
  label: string;
  files: FolderFile[];
}

/** A merged export: its folder as one .zip (a Blob, so the main thread saves it without a copy). */
export interface MergedDownload {
  zip: Blob;
  /** The files' bytes before zipping. */
  bytes: number;
  /** Per-tensor fallbacks and the like, for the user. */
  notes: string[];
}

/** kind → what the request carries and its reply; failures carry a LibraryProblem (domain 'library'). */
export interface LibraryRequests {
  /** Reads an adapter (folder files, one .zip, or one GGUF LoRA), checks it against the loaded base, stores it. */
  'library-import': Spec<LibraryImportRequest, AdapterRecord>;
  /** The loaded base with a library adapter folded in, exported in `format` (export/export-merged.ts). */
  'library-merge': Spec<{ adapterId: string; format: MergedFormat }, MergedDownload>;
}
