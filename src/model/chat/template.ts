/**
 * Chat templates: a model's own Jinja template (tokenizer_config.json `chat_template`, or GGUF
 * `tokenizer.chat_template`) rendered with @huggingface/jinja, or a default when the model has none.
 *
 * Defaults, chosen by what the vocabulary can express:
 *  - ChatML (`<|im_start|>role\n…<|im_end|>\n`) when the vocabulary has <|im_start|> and <|im_end|>: models with
 *    those tokens were almost always tuned on it, and the end marker is one token the model can learn to emit.
 *  - Otherwise a plain "### User:" / "### Assistant:" layout. Each assistant turn ends with the EOS token, so a
 *    model fine-tuned on it learns to stop, and the headers are ordinary text any base model can read.
 */
import { Template } from '@huggingface/jinja';
import type { NamedChatTemplate } from '../tokenizer/tokenizer-config';
import type { Tokenizer } from '../tokenizer/types';

export interface ChatMessage {
  /** 'system' | 'user' | 'assistant' in practice; templates may accept others (e.g. 'tool'). */
  role: string;
  content: string;
}

export interface RenderOptions {
  /** End with the header of an assistant turn, ready for the model to continue. */
  addGenerationPrompt?: boolean;
}

export type ChatTemplateKind = 'model' | 'chatml' | 'plain';

export class ChatTemplateError extends Error {
  override name = 'ChatTemplateError';
}

export const CHATML_TEMPLATE =
  '{% for message in messages %}' +
  "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export const PLAIN_TEMPLATE =
  '{% for message in messages %}' +
  "{% if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}" +
  "{% elif message['role'] == 'user' %}{{ '### User:\\n' + message['content'] + '\\n\\n' }}" +
  "{% elif message['role'] == 'assistant' %}{{ '### Assistant:\\n' + message['content'] + eos_token + '\\n\\n' }}" +
  "{% else %}{{ '### ' + message['role'] + ':\\n' + message['content'] + '\\n\\n' }}{% endif %}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '### Assistant:\\n' }}{% endif %}";

export interface ChatTemplateSpecials {
  bosToken?: string;
  eosToken?: string;
  /** Extra variables the template may read (e.g. `tools`, `enable_thinking`). */
  variables?: Record<string, unknown>;
}

export class ChatTemplate {
  private readonly compiled: Template;
  readonly bosToken: string;
  readonly eosToken: string;

  constructor(
    readonly source: string,
    readonly kind: ChatTemplateKind,
    /** Public so the template can be sent to the data worker and built again there. */
    readonly specials: ChatTemplateSpecials = {},
  ) {
    try {
      this.compiled = new Template(source);
    } catch (e) {
      throw new ChatTemplateError(`the chat template could not be parsed: ${(e as Error).message}`);
    }
    this.bosToken = specials.bosToken ?? '';
    this.eosToken = specials.eosToken ?? '';
  }

  render(messages: readonly ChatMessage[], options: RenderOptions = {}): string {
    messages.forEach(checkMessage);
    try {
      return this.compiled.render({
        ...this.specials.variables,
        messages: messages.map((m) => ({ ...m })),
        bos_token: this.bosToken,
        eos_token: this.eosToken,
        add_generation_prompt: options.addGenerationPrompt ?? false,
      });
    } catch (e) {
      throw new ChatTemplateError(`the chat template refused this conversation: ${(e as Error).message}`);
    }
  }
}

function checkMessage(m: ChatMessage, i: number): void {
  if (typeof m?.role !== 'string' || typeof m.content !== 'string') {
    throw new ChatTemplateError(`message ${i} needs a string "role" and "content"`);
  }
}

/**
 * The template to chat with: the model's own when it has one (a named list picks "default", else the first),
 * else ChatML or the plain layout (see the file comment). BOS/EOS strings come from the tokenizer.
 */
export function chatTemplateFor(
  tokenizer: Tokenizer,
  modelTemplate?: string | readonly NamedChatTemplate[] | null,
  variables?: Record<string, unknown>,
): ChatTemplate {
  const text = (id: number | null) => (id === null ? '' : (tokenizer.tokenText(id) ?? ''));
  const specials = { bosToken: text(tokenizer.bosId), eosToken: text(tokenizer.eosId), variables };
  const own = typeof modelTemplate === 'string' ? modelTemplate : pickNamed(modelTemplate ?? []);
  if (own && own.trim()) return new ChatTemplate(own, 'model', specials);
  const hasChatMl = tokenizer.tokenId('<|im_start|>') !== undefined && tokenizer.tokenId('<|im_end|>') !== undefined;
  return hasChatMl
    ? new ChatTemplate(CHATML_TEMPLATE, 'chatml', specials)
    : new ChatTemplate(PLAIN_TEMPLATE, 'plain', specials);
}

/**
 * The text of a one-turn chat (optional system message, then the user's prompt) ending in the generation prompt,
 * in the model's template or the default one. Encode it with `chatPromptBos` to get BOS right.
 */
export function chatPrompt(
  modelTemplate: string | readonly NamedChatTemplate[] | null | undefined,
  tokenizer: Tokenizer,
  prompt: string,
  system?: string,
): string {
  const messages: ChatMessage[] = system === undefined ? [] : [{ role: 'system', content: system }];
  messages.push({ role: 'user', content: prompt });
  return chatTemplateFor(tokenizer, modelTemplate).render(messages, { addGenerationPrompt: true });
}

/** Whether to add BOS when encoding rendered chat text: when the model wants it and the template did not write it. */
export function chatPromptBos(tokenizer: Tokenizer, renderedText: string): boolean {
  const bos = tokenizer.bosId === null ? undefined : tokenizer.tokenText(tokenizer.bosId);
  return tokenizer.addBosByDefault && !(bos && renderedText.startsWith(bos));
}

function pickNamed(templates: readonly NamedChatTemplate[]): string | null {
  return (templates.find((t) => t.name === 'default') ?? templates[0])?.template ?? null;
}
