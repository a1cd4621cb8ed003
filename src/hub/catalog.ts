/**
 * A short list of small instruct models that webtune's engine can run and train, each as one GGUF file in a
 * quantization the engine reads (Q8_0). Repo ids and file names are the publishers' own: Qwen's official GGUF repo,
 * and bartowski's llama.cpp conversions (the usual source of GGUFs for SmolLM2 and Llama 3.2, ungated). Sizes are
 * approximate, for the list only; the download reads the real size from the server.
 */
import type { HubModelRequest } from './types';
import { DEFAULT_ENDPOINT } from './hub-url';

export interface CatalogModel {
  id: string;
  name: string;
  /** One line: what it is and why it is on the list. */
  note: string;
  license: string;
  approxBytes: number;
  repo: string;
  file: string;
}

const MB = 1e6;

export const CATALOG: readonly CatalogModel[] = [
  {
    id: 'smollm2-135m',
    name: 'SmolLM2 135M Instruct',
    note: 'The smallest chat model here: quick to download and to fine-tune.',
    license: 'Apache-2.0',
    approxBytes: 145 * MB,
    repo: 'bartowski/SmolLM2-135M-Instruct-GGUF',
    file: 'SmolLM2-135M-Instruct-Q8_0.gguf',
  },
  {
    id: 'smollm2-360m',
    name: 'SmolLM2 360M Instruct',
    note: 'Same family, noticeably better answers, still small.',
    license: 'Apache-2.0',
    approxBytes: 386 * MB,
    repo: 'bartowski/SmolLM2-360M-Instruct-GGUF',
    file: 'SmolLM2-360M-Instruct-Q8_0.gguf',
  },
  {
    id: 'qwen2.5-0.5b',
    name: 'Qwen2.5 0.5B Instruct',
    note: 'Multilingual, follows instructions well for its size (official GGUF).',
    license: 'Apache-2.0',
    approxBytes: 531 * MB,
    repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF',
    file: 'qwen2.5-0.5b-instruct-q8_0.gguf',
  },
  {
    id: 'llama3.2-1b',
    name: 'Llama 3.2 1B Instruct',
    note: 'The largest here: needs a GPU with a few GB free to train.',
    license: 'Llama 3.2 Community',
    approxBytes: 1321 * MB,
    repo: 'bartowski/Llama-3.2-1B-Instruct-GGUF',
    file: 'Llama-3.2-1B-Instruct-Q8_0.gguf',
  },
];

export function catalogRequest(model: CatalogModel, endpoint = DEFAULT_ENDPOINT): HubModelRequest {
  return { endpoint, repo: model.repo, revision: 'main', target: { kind: 'gguf', file: model.file } };
}
