/** Tokenizers: one interface, built from a tokenizer.json or from a GGUF vocabulary. */
export type { DecodeOptions, EncodeOptions, StreamDecoder, Tokenizer } from './types';
export { TokenizerError, END_OF_TURN_TOKENS } from './types';
export { fromTokenizerJson, type TokenizerJsonFiles } from './hf-tokenizer';
export { createGgufTokenizer, type GgufTokenizerSource } from './gguf-tokenizer';
export { TokenType } from './gguf-vocab';
export { SUPPORTED_PRE_TOKENIZERS } from './pretokenize';
export { parseTokenizerConfig, type NamedChatTemplate, type TokenizerConfig } from './tokenizer-config';
export { createStreamDecoder } from './stream-decoder';
