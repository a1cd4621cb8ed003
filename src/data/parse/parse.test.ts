import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDatasetFile } from '../load-node';
import { DatasetError, type DatasetShape, type Example, parseDatasetFormat } from '../types';
import { parseDatasetBlob } from '../read';
import { DatasetParser, parseDatasetText } from './parse';
import { textChunks } from './lines';

const jsonl = (...rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

const user = (content: string) => ({ role: 'user' as const, content });
const assistant = (content: string) => ({ role: 'assistant' as const, content });

/** One row of each shape and the example it must become. */
const SHAPES: { shape: DatasetShape; row: unknown; example: Example }[] = [
  {
    shape: 'chat',
    row: { messages: [{ role: 'system', content: 'Be brief.' }, user('Hi'), assistant('Hello.')] },
    example: { kind: 'chat', messages: [{ role: 'system', content: 'Be brief.' }, user('Hi'), assistant('Hello.')], line: 1 },
  },
  {
    shape: 'sharegpt',
    row: { conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello.' }] },
    example: { kind: 'chat', messages: [user('Hi'), assistant('Hello.')], line: 1 },
  },
  {
    shape: 'alpaca',
    row: { instruction: 'Add.', input: '2 and 3', output: '5' },
    example: { kind: 'chat', messages: [user('Add.\n\n2 and 3'), assistant('5')], line: 1 },
  },
  {
    shape: 'prompt-completion',
    row: { prompt: 'Sky?', completion: 'Blue.' },
    example: { kind: 'chat', messages: [user('Sky?'), assistant('Blue.')], line: 1 },
  },
  { shape: 'text', row: { text: 'Once upon a time.' }, example: { kind: 'text', text: 'Once upon a time.', line: 1 } },
];

describe('format detection', () => {
  for (const { shape, row, example } of SHAPES) {
    it(`detects ${shape} rows in JSON Lines and in a JSON array`, () => {
      const lines = parseDatasetText(jsonl(row, row), { file: 'd.jsonl' });
      expect([lines.shape, lines.container, lines.rows, lines.badRows]).toEqual([shape, 'jsonl', 2, []]);
      expect(lines.examples[0]).toEqual(example);
      expect(lines.examples[1].line).toBe(2);

      const array = parseDatasetText(`[\n  ${JSON.stringify(row)},\n  ${JSON.stringify(row)}\n]\n`, { file: 'd.json' });
      expect([array.shape, array.container]).toEqual([shape, 'json']);
      expect(array.examples.map((e) => e.line)).toEqual([2, 3]);
      expect({ ...array.examples[0], line: 1 }).toEqual(example);
    });
  }

  it('reads Alpaca without input, with a system field, and takes "instruction" before "text"', () => {
    const result = parseDatasetText(jsonl({ instruction: 'Say hi.', output: 'Hi!', system: 'Be kind.', text: 'x' }));
    expect(result.shape).toBe('alpaca');
    expect(result.examples[0]).toEqual({
      kind: 'chat',
      messages: [{ role: 'system', content: 'Be kind.' }, user('Say hi.'), assistant('Hi!')],
      line: 1,
    });
  });

  it('reads plain text as paragraphs, or as one example with textUnit "file"', () => {
    const text = '\nFirst line\r\nstill first.\n\n\nSecond one.\n  \nThird.';
    const paragraphs = parseDatasetText(text, { file: 'book.txt' });
    expect([paragraphs.shape, paragraphs.container]).toEqual(['text', 'txt']);
    expect(paragraphs.examples).toEqual([
      { kind: 'text', text: 'First line\nstill first.', line: 2 },
      { kind: 'text', text: 'Second one.', line: 6 },
      { kind: 'text', text: 'Third.', line: 8 },
    ]);
    const whole = parseDatasetText(text + '\n\n', { file: 'book.txt', textUnit: 'file' });
    expect(whole.examples).toEqual([
      { kind: 'text', text: 'First line\nstill first.\n\n\nSecond one.\n  \nThird.', line: 2 },
    ]);
  });

  it('looks at the first character of a .json file: JSON Lines saved as .json are read as lines', () => {
    const result = parseDatasetText(jsonl({ text: 'a' }, { text: 'b' }), { file: 'export.json' });
    expect([result.container, result.examples.length]).toEqual(['jsonl', 2]);
  });

  it('obeys an explicit format: rows of another shape become bad rows that say what they look like', () => {
    const text = jsonl({ prompt: 'p', completion: 'c' }, { text: 'plain' });
    const forced = parseDatasetText(text, { format: 'text' });
    expect(forced.shape).toBe('text');
    expect(forced.examples).toEqual([{ kind: 'text', text: 'plain', line: 2 }]);
    expect(forced.badRows).toEqual([
      { line: 1, reason: 'missing field "text" (this row looks "prompt"/"completion", the file "text")' },
    ]);
    expect(() => parseDatasetText('hello', { file: 'a.txt', format: 'chat' })).toThrow(
      /a\.txt: a plain-text file holds text examples only, not chat/,
    );
  });

  it('gives the same result whatever the chunking, from bytes, a Blob and a file on disk', async () => {
    const text = jsonl(...SHAPES.filter((s) => s.shape === 'chat').map((s) => s.row), { messages: [] }, 'oops');
    const whole = parseDatasetText(text, { file: 'c.jsonl' });
    const bytes = new TextEncoder().encode(text);
    const pieces = [...Array(Math.ceil(bytes.length / 7)).keys()].map((i) => bytes.subarray(i * 7, i * 7 + 7));
    const parser = new DatasetParser({ file: 'c.jsonl' });
    for await (const chunk of textChunks(pieces, 'c.jsonl')) parser.push(chunk);
    expect(parser.finish()).toEqual(whole);
    expect(await parseDatasetBlob(new File([bytes], 'c.jsonl'))).toEqual(whole);
    const dir = mkdtempSync(join(tmpdir(), 'webtune-data-'));
    writeFileSync(join(dir, 'c.jsonl'), bytes);
    expect(await parseDatasetFile(join(dir, 'c.jsonl'), { file: 'c.jsonl' })).toEqual(whole);
    await expect(parseDatasetFile(join(dir, 'missing.jsonl'))).rejects.toThrow(/missing\.jsonl: no such file/);
    await expect(parseDatasetFile(dir)).rejects.toThrow(/is a folder, not a dataset file/);
  });
});

describe('bad rows', () => {
  const file = [
    JSON.stringify({ messages: [user('Hi'), assistant('Hello.')] }), // 1 good
    '{"messages": [{"role": "user", "content": "Hi"}', //                2 not JSON
    JSON.stringify({ messages: [user('Hi'), { role: 'robot', content: 'x' }] }), // 3
    '', //                                                               4 blank: not a row
    JSON.stringify({ messages: [user('Hi'), { role: 'assistant', content: '   ' }] }), // 5
    JSON.stringify({ messages: [user('Hi'), { role: 'assistant' }] }), // 6
    JSON.stringify({ messages: 'Hi' }), //                               7
    JSON.stringify({ messages: [user('Hi'), { role: 'assistant', content: 42 }] }), // 8
    JSON.stringify({ messages: [user('Only a question')] }), //           9
    JSON.stringify([1, 2]), //                                           10
    JSON.stringify({ messages: [user('Bye'), assistant('Bye.')] }), //   11 good
  ].join('\n');

  it('lists each with its 1-based line and a specific reason, and keeps the good rows', () => {
    const result = parseDatasetText(file, { file: 'chat.jsonl' });
    expect(result.examples.map((e) => e.line)).toEqual([1, 11]);
    expect(result.rows).toBe(10);
    expect(result.badRowCount).toBe(8);
    expect(result.badRows.map((r) => [r.line, r.reason])).toEqual([
      [2, "invalid JSON: expected ',' or ']' after an array element, found the end of the text"],
      [3, 'unknown role "robot" in messages[1]; expected "system", "user" or "assistant"'],
      [5, 'empty content in messages[1] (assistant)'],
      [6, 'missing field "content" in messages[1]'],
      [7, 'wrong type: "messages" must be an array, found a string'],
      [8, 'wrong type: messages[1].content must be a string, found a number'],
      [9, 'no assistant turn in "messages": nothing to learn from'],
      [10, 'wrong type: a row must be a JSON object, found an array'],
    ]);
    expect(result.badRows[0].column).toBe(48);
  });

  it('fails on the first bad rows with onBadRow "fail", naming the file and the lines', () => {
    expect(() => parseDatasetText(file, { file: 'chat.jsonl', onBadRow: 'fail' })).toThrow(
      /^chat\.jsonl: 8 bad rows: line 2 col 48: invalid JSON.*; line 3: unknown role "robot".*; and 3 more$/,
    );
  });

  it('names missing fields and wrong types in the flat shapes', () => {
    const alpaca = parseDatasetText(jsonl({ instruction: 'x', output: 'y' }, { instruction: 'x' }, { instruction: 3, output: 'y' }));
    expect(alpaca.badRows.map((r) => r.reason)).toEqual(['missing field "output"', 'wrong type: "instruction" must be a string, found a number']);
    const pc = parseDatasetText(jsonl({ prompt: 'p', completion: 'c' }, { prompt: 'p', completion: '' }));
    expect(pc.badRows).toEqual([{ line: 2, reason: 'empty content: "completion" is empty' }]);
    const sharegpt = parseDatasetText(jsonl({ conversations: [{ from: 'human', value: 'a' }, { from: 'gpt', value: 'b' }] }, { conversations: [{ from: 'bot', value: 'a' }] }));
    expect(sharegpt.badRows[0].reason).toBe('unknown speaker "bot" in conversations[0]; expected "human", "gpt" or "system"');
  });

  it('explains a first row that names no shape', () => {
    const result = parseDatasetText(jsonl({ question: 'q', answer: 'a' }, { text: 'ok' }));
    expect(result.shape).toBe('text');
    expect(result.badRows[0]).toEqual({
      line: 1,
      reason: 'no known fields (it has "question", "answer"); expected "messages", "conversations", "instruction"/"output", "prompt"/"completion" or "text"',
    });
  });
});

describe('files that give no dataset', () => {
  const fails = (text: string, file: string, message: RegExp) => {
    let error: unknown;
    try {
      parseDatasetText(text, { file });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).file).toBe(file);
    expect((error as Error).message).toMatch(message);
    return error as DatasetError;
  };

  it('refuses an empty file, a blank file and an empty array, naming the file', () => {
    fails('', 'empty.jsonl', /^empty\.jsonl: the file is empty$/);
    fails('\n  \n', 'blank.jsonl', /^blank\.jsonl: the file has only blank lines: no examples$/);
    fails(' [ ] ', 'arr.json', /^arr\.json: the JSON array is empty: no examples$/);
  });

  it('refuses a file where every row is bad, with the rows attached', () => {
    const error = fails('{"prompt": 1}\nnot json\n', 'bad.jsonl', /^bad\.jsonl: no usable examples: all 2 rows were rejected; first: line 1: wrong type/);
    expect(error.badRows.map((r) => r.line)).toEqual([1, 2]);
  });

  it('refuses a broken JSON array with its line and column', () => {
    fails('[{"text": "a"}\n {"text": "b"}]', 'x.json', /^x\.json: invalid JSON at line 2 col 2: expected ',' or '\]' after array element 1/);
    fails('[{"text": "a"},', 'y.json', /^y\.json: invalid JSON .*the JSON array is not closed/);
  });
});

describe('parseDatasetFormat', () => {
  it('accepts every shape and auto, and names the choices otherwise', () => {
    for (const { shape } of SHAPES) expect(parseDatasetFormat(shape)).toBe(shape);
    expect(parseDatasetFormat(' Alpaca ')).toBe('alpaca');
    expect(parseDatasetFormat('auto')).toBe('auto');
    expect(() => parseDatasetFormat('csv')).toThrow(
      'unknown dataset format "csv"; expected auto, chat, sharegpt, alpaca, prompt-completion, text',
    );
  });
});
