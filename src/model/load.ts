/**
 * Opens a model from its files, whichever the format: a GGUF file, or a Hugging Face folder given as
 * file name → ByteSource. Returns the config, lazily readable weights, the tokenizer and the chat template;
 * nothing is on the GPU yet (see src/gpu/model/upload.ts). Works in the browser and in Node.
 */
import type { ModelConfig } from './config';
import { ModelFormatError } from './errors';
import { openGgufModel } from './gguf/model';
import type { GgufFile } from './gguf/types';
import { readHfFolder } from './hf/folder';
import { type ByteSource, readJson } from './source';
import type { ModelWeights } from './tensor-map';
import { parseTokenizerConfig, type Tokenizer } from './tokenizer';
import type { TokenizerConfig } from './tokenizer';
import { type TokenizerSpec, tokenizerFromSpec } from './tokenizer/spec';

export interface LoadedModel {
  /** A display name: the GGUF file name or the folder's label. */
  name: string;
  format: 'gguf' | 'hf';
  config: ModelConfig;
  weights: ModelWeights;
  tokenizer: Tokenizer;
  /** What `tokenizer` was built from, as plain data: the data worker rebuilds it from this. */
  tokenizerSpec: TokenizerSpec;
  /** The model's own chat template (Jinja), or null when it has none. */
  chatTemplate: string | null;
  /** Every file handle behind the model, to close when done. */
  sources: ByteSource[];
}

export async function loadGgufModel(source: ByteSource): Promise<LoadedModel> {
  const { file, config, weights } = await openGgufModel(source);
  const tokenizerSpec = ggufTokenizerSpec(file, source.name);
  const tokenizer = tokenizerFromSpec(tokenizerSpec);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new ModelFormatError(
      source.name,
      `the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary size is ${config.vocabSize}`,
    );
  }
  return {
    name: source.name,
    format: 'gguf',
    config,
    weights,
    tokenizer,
    tokenizerSpec,
    chatTemplate: file.metadata.optionalString('tokenizer.chat_template') ?? null,
    sources: [source],
  };
}

function ggufTokenizerSpec(file: GgufFile, name: string): TokenizerSpec {
  const m = file.metadata;
  const model = m.optionalString('tokenizer.ggml.model');
  if (model !== 'llama' && model !== 'gpt2') {
    throw new ModelFormatError(
      name,
      `uses tokenizer model '${model ?? '(none)'}'; webtune reads 'llama' (SentencePiece) and 'gpt2' (byte-level BPE)`,
    );
  }
  return {
    kind: 'gguf',
    file: name,
    source: {
      model,
      tokens: m.stringArray('tokenizer.ggml.tokens'),
      scores: m.optionalNumberArray('tokenizer.ggml.scores') as readonly number[] | undefined,
      tokenTypes: m.optionalNumberArray('tokenizer.ggml.token_type') as readonly number[] | undefined,
      merges: m.optionalStringArray('tokenizer.ggml.merges'),
      bosId: m.optionalInteger('tokenizer.ggml.bos_token_id'),
      eosId: m.optionalInteger('tokenizer.ggml.eos_token_id'),
      unkId: m.optionalInteger('tokenizer.ggml.unknown_token_id'),
      padId: m.optionalInteger('tokenizer.ggml.padding_token_id'),
      addBos: m.optionalBoolean('tokenizer.ggml.add_bos_token'),
      addEos: m.optionalBoolean('tokenizer.ggml.add_eos_token'),
      addSpacePrefix: m.optionalBoolean('tokenizer.ggml.add_space_prefix'),
      preTokenizer: m.optionalString('tokenizer.ggml.pre'),
    },
  };
}

export async function loadHfModel(files: ReadonlyMap<string, ByteSource>, label = 'model folder'): Promise<LoadedModel> {
  const hf = await readHfFolder(files, label);
  const tokenizerJson = hf.tokenizerFiles['tokenizer.json'];
  const configSource = hf.tokenizerFiles['tokenizer_config.json'];
  const tokenizerConfig: TokenizerConfig | null = configSource
    ? parseTokenizerConfig((await readJson(configSource)) as object, configSource.name)
    : null;
  const tokenizerSpec: TokenizerSpec = {
    kind: 'hf',
    tokenizerJson: (await readJson(tokenizerJson)) as object,
    config: tokenizerConfig,
    tokenizerFile: `${label}/tokenizer.json`,
    configFile: `${label}/tokenizer_config.json`,
  };
  const tokenizer = tokenizerFromSpec(tokenizerSpec);
  if (tokenizer.vocabSize > hf.config.vocabSize) {
    throw new ModelFormatError(
      `${label}/tokenizer.json`,
      `has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${hf.config.vocabSize}`,
    );
  }
  return {
    name: label,
    format: 'hf',
    config: hf.config,
    weights: hf.weights,
    tokenizer,
    tokenizerSpec,
    chatTemplate: pickChatTemplate(tokenizerConfig),
    sources: [...files.values()],
  };
}

function pickChatTemplate(config: TokenizerConfig | null): string | null {
  const t = config?.chatTemplate ?? null;
  if (t === null || typeof t === 'string') return t;
  return (t.find((n) => n.name === 'default') ?? t[0])?.template ?? null;
}

/** Closes every file handle (Node); Blobs have nothing to close. */
export async function closeModel(model: LoadedModel): Promise<void> {
  await Promise.all(model.sources.map((s) => s.close?.()));
}
