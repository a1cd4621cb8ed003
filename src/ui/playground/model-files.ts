/**
 * What the user gave us (a file picker's FileList, a folder picker's, or a drop of files and folders) as a model
 * source for the engine: one .gguf file, or a Hugging Face folder's files by their paths inside it. The Playground
 * and the Train view's base picker both read the user's files through these.
 */
import type { FolderFile, ModelSource } from '../../worker/protocol';

/** What the user's files can be: the two kinds of ModelSource they open, which a Train base can be too. */
export type UserModelSource = Extract<ModelSource, { kind: 'gguf-file' | 'folder' }>;

export type PickedModel = { ok: true; source: UserModelSource; label: string } | { ok: false; message: string };

const FOLDER_HINT = 'a .gguf file, or a Hugging Face model folder (config.json, *.safetensors, tokenizer.json)';

/** From an <input type="file"> (with or without webkitdirectory: folder pickers fill webkitRelativePath). */
export function filesFromInput(list: FileList | null): FolderFile[] {
  return [...(list ?? [])].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/**
 * From a drop. Directory entries are walked; the items must be read before the first await, since the browser
 * empties the DataTransfer once the drop event returns.
 */
export async function filesFromDrop(transfer: DataTransfer): Promise<FolderFile[]> {
  const items = [...transfer.items]
    .filter((item) => item.kind === 'file')
    .map((item) => ({ entry: item.webkitGetAsEntry(), file: item.getAsFile() }));
  const out: FolderFile[] = [];
  for (const { entry, file } of items) {
    if (entry && isDirectory(entry)) out.push(...(await walk(entry, entry.name)));
    else if (file) out.push({ path: file.name, file });
  }
  return out;
}

/** Decides what the files are; anything that is neither a GGUF nor a folder gets a message saying what is wanted. */
export function pickModel(files: FolderFile[]): PickedModel {
  if (files.length === 0) return { ok: false, message: `Nothing to open: choose ${FOLDER_HINT}.` };
  const ggufs = files.filter((f) => f.path.toLowerCase().endsWith('.gguf'));
  const hasConfig = files.some((f) => baseName(f.path) === 'config.json');
  if (files.length === 1 && ggufs.length === 1) {
    const { file } = ggufs[0];
    return { ok: true, source: { kind: 'gguf-file', file }, label: file.name };
  }
  if (files.length === 1) {
    return { ok: false, message: `${files[0].path} is not a model file. Open ${FOLDER_HINT}.` };
  }
  if (!hasConfig && ggufs.length === 1) {
    const { file } = ggufs[0];
    return { ok: true, source: { kind: 'gguf-file', file }, label: file.name };
  }
  if (!hasConfig && ggufs.length > 1) {
    return { ok: false, message: `These files hold ${ggufs.length} GGUF models; open one .gguf file at a time.` };
  }
  const label = commonFolder(files) ?? 'dropped files';
  return { ok: true, source: { kind: 'folder', label, files }, label };
}

function isDirectory(entry: FileSystemEntry): entry is FileSystemDirectoryEntry {
  return entry.isDirectory;
}

function isFile(entry: FileSystemEntry): entry is FileSystemFileEntry {
  return entry.isFile;
}

async function walk(directory: FileSystemDirectoryEntry, prefix: string): Promise<FolderFile[]> {
  const reader = directory.createReader();
  const out: FolderFile[] = [];
  // readEntries hands out a directory in batches (100 in Chrome) until it returns none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return out;
    for (const entry of batch) {
      const path = `${prefix}/${entry.name}`;
      if (isDirectory(entry)) out.push(...(await walk(entry, path)));
      else if (isFile(entry)) out.push({ path, file: await new Promise<File>((ok, fail) => entry.file(ok, fail)) });
    }
  }
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function commonFolder(files: FolderFile[]): string | null {
  const first = files[0].path.split('/')[0];
  return files.every((f) => f.path.startsWith(`${first}/`)) ? first : null;
}
