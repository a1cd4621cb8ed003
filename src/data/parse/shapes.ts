/**
 * Row shapes: which one a file uses, and turning one parsed JSON row into an `Example` or a specific reason why
 * not. Every shape ends as chat turns or plain text, so everything after parsing sees two kinds only.
 *
 *  chat               {"messages": [{"role": "user", "content": "…"}, …]}      (content may also be text parts)
 *  sharegpt           {"conversations": [{"from": "human", "value": "…"}, …]}  (human → user, gpt → assistant)
 *  alpaca             {"instruction": "…", "input": "…"?, "output": "…", "system": "…"?}
 *                     → user: instruction, then a blank line and the input when there is one; assistant: output
 *  prompt-completion  {"prompt": "…", "completion": "…"}                     → user: prompt; assistant: completion
 *  text               {"text": "…"}                                            → a text example
 */
import type { ChatRole, ChatTurn, DatasetShape, Example } from '../types';
import { quoted } from './limits';

export const SHAPE_LABELS: Record<DatasetShape, string> = {
  chat: 'chat ("messages")',
  sharegpt: 'ShareGPT ("conversations")',
  alpaca: 'Alpaca ("instruction"/"output")',
  'prompt-completion': '"prompt"/"completion"',
  text: '"text"',
};

/** The key that identifies each shape, in the order they are tried (a row with "messages" and "text" is chat). */
const SHAPE_KEYS: readonly [string, DatasetShape][] = [
  ['messages', 'chat'],
  ['conversations', 'sharegpt'],
  ['instruction', 'alpaca'],
  ['prompt', 'prompt-completion'],
  ['completion', 'prompt-completion'],
  ['text', 'text'],
];

export function detectShape(row: unknown): DatasetShape | null {
  if (!isObject(row)) return null;
  return SHAPE_KEYS.find(([key]) => key in row)?.[1] ?? null;
}

/** Why a row names no shape (when the file's shape is not known yet). */
export function unknownShapeReason(row: unknown): string {
  if (!isObject(row)) return notAnObject(row);
  const keys = Object.keys(row);
  const have = keys.length ? `it has ${keys.slice(0, 8).map((k) => quoted(k)).join(', ')}` : 'it is an empty object';
  return `no known fields (${have}); expected "messages", "conversations", "instruction"/"output", "prompt"/"completion" or "text"`;
}

class RowProblem extends Error {}

/** One row of a file whose shape is `shape`; `line` is kept on the example for later messages. */
export function rowToExample(row: unknown, shape: DatasetShape, line: number): Example | { reason: string } {
  try {
    if (!isObject(row)) throw new RowProblem(notAnObject(row));
    return convert(row, shape, line);
  } catch (e) {
    if (!(e instanceof RowProblem)) throw e;
    const other = detectShape(row);
    const hint = other && other !== shape ? ` (this row looks ${SHAPE_LABELS[other]}, the file ${SHAPE_LABELS[shape]})` : '';
    return { reason: e.message + hint };
  }
}

function convert(row: Record<string, unknown>, shape: DatasetShape, line: number): Example {
  switch (shape) {
    case 'chat':
      return { kind: 'chat', messages: chatTurns(row), line };
    case 'sharegpt':
      return { kind: 'chat', messages: shareGptTurns(row), line };
    case 'alpaca': {
      const instruction = text(row, 'instruction');
      const input = optionalString(row, 'input');
      const system = optionalString(row, 'system');
      const messages: ChatTurn[] = system.trim() ? [{ role: 'system', content: system }] : [];
      messages.push({ role: 'user', content: input.trim() ? `${instruction}\n\n${input}` : instruction });
      messages.push({ role: 'assistant', content: text(row, 'output') });
      return { kind: 'chat', messages, line };
    }
    case 'prompt-completion': {
      const prompt = text(row, 'prompt');
      const completion = text(row, 'completion');
      return { kind: 'chat', messages: [{ role: 'user', content: prompt }, { role: 'assistant', content: completion }], line };
    }
    case 'text':
      return { kind: 'text', text: text(row, 'text'), line };
  }
}

const CHAT_ROLES: readonly ChatRole[] = ['system', 'user', 'assistant'];

function chatTurns(row: Record<string, unknown>): ChatTurn[] {
  const messages = turnList(row, 'messages');
  const turns = messages.map((m, i): ChatTurn => {
    const where = `messages[${i}]`;
    if (!isObject(m)) throw new RowProblem(`wrong type: ${where} must be an object, found ${describe(m)}`);
    if (!('role' in m)) throw new RowProblem(`missing field "role" in ${where}`);
    if (typeof m.role !== 'string') throw new RowProblem(`wrong type: ${where}.role must be a string, found ${describe(m.role)}`);
    const role = m.role as ChatRole;
    if (!CHAT_ROLES.includes(role)) {
      throw new RowProblem(`unknown role ${quoted(m.role)} in ${where}; expected "system", "user" or "assistant"`);
    }
    if (!('content' in m)) throw new RowProblem(`missing field "content" in ${where}`);
    const content = contentText(m.content, `${where}.content`);
    if (!content.trim()) throw new RowProblem(`empty content in ${where} (${role})`);
    return { role, content };
  });
  return requireAssistant(turns, 'messages');
}

const SHAREGPT_ROLES: Record<string, ChatRole> = {
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  assistant: 'assistant',
  system: 'system',
};

function shareGptTurns(row: Record<string, unknown>): ChatTurn[] {
  const turns = turnList(row, 'conversations').map((t, i): ChatTurn => {
    const where = `conversations[${i}]`;
    if (!isObject(t)) throw new RowProblem(`wrong type: ${where} must be an object, found ${describe(t)}`);
    if (!('from' in t)) throw new RowProblem(`missing field "from" in ${where}`);
    if (typeof t.from !== 'string') throw new RowProblem(`wrong type: ${where}.from must be a string, found ${describe(t.from)}`);
    const role = Object.hasOwn(SHAREGPT_ROLES, t.from) ? SHAREGPT_ROLES[t.from] : undefined;
    if (!role) throw new RowProblem(`unknown speaker ${quoted(t.from)} in ${where}; expected "human", "gpt" or "system"`);
    if (!('value' in t)) throw new RowProblem(`missing field "value" in ${where}`);
    if (typeof t.value !== 'string') throw new RowProblem(`wrong type: ${where}.value must be a string, found ${describe(t.value)}`);
    if (!t.value.trim()) throw new RowProblem(`empty content in ${where} (${t.from})`);
    return { role, content: t.value };
  });
  return requireAssistant(turns, 'conversations');
}

function turnList(row: Record<string, unknown>, key: string): unknown[] {
  const list = row[key];
  if (!Array.isArray(list)) throw new RowProblem(`wrong type: "${key}" must be an array, found ${describe(list)}`);
  if (list.length === 0) throw new RowProblem(`empty conversation: "${key}" has no turns`);
  return list;
}

function requireAssistant(turns: ChatTurn[], key: string): ChatTurn[] {
  if (!turns.some((t) => t.role === 'assistant')) {
    throw new RowProblem(`no assistant turn in "${key}": nothing to learn from`);
  }
  return turns;
}

/** A message's content: a string, or OpenAI-style parts of which only text ones can be trained. */
function contentText(content: unknown, where: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new RowProblem(`wrong type: ${where} must be a string, found ${describe(content)}`);
  return content
    .map((part, j) => {
      if (isObject(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
      const type = isObject(part) && typeof part.type === 'string' ? quoted(part.type) : describe(part);
      throw new RowProblem(`unsupported content part ${type} at ${where}[${j}]; only text parts can be trained`);
    })
    .join('');
}

/** A required string field with something in it. */
function text(row: Record<string, unknown>, key: string): string {
  if (!(key in row) || row[key] === null) throw new RowProblem(`missing field "${key}"`);
  const value = row[key];
  if (typeof value !== 'string') throw new RowProblem(`wrong type: "${key}" must be a string, found ${describe(value)}`);
  if (!value.trim()) throw new RowProblem(`empty content: "${key}" is empty`);
  return value;
}

/** An optional string field; absent and null both read as ''. */
function optionalString(row: Record<string, unknown>, key: string): string {
  const value = row[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new RowProblem(`wrong type: "${key}" must be a string, found ${describe(value)}`);
  return value;
}

function notAnObject(row: unknown): string {
  return `wrong type: a row must be a JSON object, found ${describe(row)}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (v === undefined) return 'nothing';
  return `a ${typeof v}`;
}
