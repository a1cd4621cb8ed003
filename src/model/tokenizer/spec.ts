/**
 * A tokenizer as plain data, so it can be posted to another thread (the data worker) and rebuilt there: the GGUF
 * vocabulary it was made from, or the tokenizer.json (and tokenizer_config.json) of a Hugging Face folder. The
 * loaders (src/model/load.ts) keep the spec of every tokenizer they build; `tokenizerFromSpec` builds it again.
 */
import type { GgufTokenizerSource } from './gguf-vocab';
import { createGgufTokenizer } from './gguf-tokenizer';
import { fromTokenizerJson } from './hf-tokenizer';
import type { TokenizerConfig } from './tokenizer-config';
import type { Tokenizer } from './types';

export type TokenizerSpec =
  | { kind: 'gguf'; source: GgufTokenizerSource; /** The GGUF file's name, for messages. */ file: string }
  | {
      kind: 'hf';
      /** tokenizer.json, as text or parsed. */
      tokenizerJson: object | string;
      config: TokenizerConfig | null;
      /** Names used in messages. */
      tokenizerFile: string;
      configFile: string;
    };

export function tokenizerFromSpec(spec: TokenizerSpec): Tokenizer {
  if (spec.kind === 'gguf') return createGgufTokenizer(spec.source, spec.file);
  return fromTokenizerJson({
    tokenizer: spec.tokenizerJson,
    config: spec.config,
    tokenizerFile: spec.tokenizerFile,
    configFile: spec.configFile,
  });
}
