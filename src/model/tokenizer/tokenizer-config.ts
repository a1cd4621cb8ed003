/**
 * The parts of a Hugging Face `tokenizer_config.json` webtune uses: the special-token strings, whether BOS/EOS
 * are added, and the chat template. Parsed into a typed value (or a ModelFormatError naming the file).
 */
import { ModelFormatError } from '../errors';

export interface NamedChatTemplate {
  name: string;
  template: string;
}

export interface TokenizerConfig {
  bosToken: string | null;
  eosToken: string | null;
  padToken: string | null;
  unkToken: string | null;
  addBosToken: boolean | null;
  addEosToken: boolean | null;
  /** `chat_template`: one template, or several by name (the one called "default" is used for chat). */
  chatTemplate: string | NamedChatTemplate[] | null;
  /** The object as read, for the tokenizer library (which reads further fields itself). */
  raw: Record<string, unknown>;
}

export function parseTokenizerConfig(input: string | object, file = 'tokenizer_config.json'): TokenizerConfig {
  const raw = parseJsonObject(input, file);
  const fail = (problem: string): never => {
    throw new ModelFormatError(file, problem);
  };
  const tokenString = (key: string): string | null => {
    const v = raw[key];
    if (v === undefined || v === null) return null;
    if (typeof v === 'string') return v;
    // Older configs store AddedToken objects: {"__type": "AddedToken", "content": "<s>", ...}.
    if (typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') {
      return (v as { content: string }).content;
    }
    return fail(`"${key}" is neither a string nor a token object`);
  };
  const flag = (key: string): boolean | null => {
    const v = raw[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'boolean') fail(`"${key}" is ${typeof v}, expected true or false`);
    return v as boolean;
  };
  return {
    bosToken: tokenString('bos_token'),
    eosToken: tokenString('eos_token'),
    padToken: tokenString('pad_token'),
    unkToken: tokenString('unk_token'),
    addBosToken: flag('add_bos_token'),
    addEosToken: flag('add_eos_token'),
    chatTemplate: parseChatTemplateField(raw.chat_template, fail),
    raw,
  };
}

function parseChatTemplateField(v: unknown, fail: (problem: string) => never): TokenizerConfig['chatTemplate'] {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    return v.map((entry, i) => {
      const e = entry as { name?: unknown; template?: unknown };
      if (typeof e?.name !== 'string' || typeof e.template !== 'string') {
        fail(`"chat_template" entry ${i} needs a string "name" and "template"`);
      }
      return { name: e.name as string, template: e.template as string };
    });
  }
  return fail('"chat_template" is neither a string nor a list of named templates');
}

/** Parses JSON text (or takes an already-parsed value) and insists on an object at the top. */
export function parseJsonObject(input: string | object, file: string): Record<string, unknown> {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new ModelFormatError(file, `is not valid JSON (${(e as Error).message})`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelFormatError(file, 'does not hold a JSON object');
  }
  return value as Record<string, unknown>;
}
