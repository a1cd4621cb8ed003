/**
 * Messages of the engine worker's 'library-' domain (see domains.ts): every kind starts with 'library-'.
 * The worker does the adapter work that needs the loaded base: importing (checked against the base) and merging
 * (the base's weights are in the worker). Listing, renaming, deleting and the PEFT/GGUF exports need no base
 * weights and run on the main thread over the same IndexedDB/OPFS library.
 */
import type { AdapterRecord } from '../library/adapter-library';
import type { FolderFile } from './engine-types';

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

/** Reads an adapter (folder files, one .zip, or one GGUF LoRA), checks it against the loaded base, stores it. */
export interface LibraryImportRequest {
  kind: 'library-import';
  id: number;
  /** The folder's, archive's or file's name; the library entry is named after it. */
  label: string;
  files: FolderFile[];
}

/** The loaded base with a library adapter folded in, as a safetensors file. */
export interface LibraryMergeRequest {
  kind: 'library-merge';
  id: number;
  adapterId: string;
}

export type LibraryToEngine = LibraryImportRequest | LibraryMergeRequest;

export interface LibraryImported {
  kind: 'library-imported';
  id: number;
  record: AdapterRecord;
}

export interface LibraryMerged {
  kind: 'library-merged';
  id: number;
  /** The merged model's safetensors bytes (a Blob, so the main thread can download it without a copy). */
  file: Blob;
}

export interface LibraryFailed {
  kind: 'library-failed';
  id: number;
  problem: LibraryProblem;
}

export type LibraryFromEngine = LibraryImported | LibraryMerged | LibraryFailed;
