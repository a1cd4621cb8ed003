import { describe, expect, it } from 'vitest';
import { parseDatasetText } from './parse/parse';
import { parseDatasetBlob } from './read';
import { DatasetError } from './types';

function blob(text: string | Uint8Array<ArrayBuffer>): Blob {
  return new Blob([text]);
}

async function refusal(promise: Promise<unknown>): Promise<DatasetError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

describe('parseDatasetFile', () => {
  it('reads CSV rows with a header, keeping each row’s line (quoted newlines included)', async () => {
    const csv = 'instruction,input,output\n"Say hi","","Hi!"\n"Two\nlines",x,"ok, fine"\nbad,row\n';
    const result = await parseDatasetBlob(blob(csv), { file: 'a.csv' });
    expect(result.container).toBe('csv');
    expect(result.shape).toBe('alpaca');
    expect(result.columns).toEqual(['instruction', 'input', 'output']);
    expect(result.examples).toHaveLength(2);
    expect(result.examples[1]).toMatchObject({ kind: 'chat', line: 3 });
    expect(result.examples[1].kind === 'chat' && result.examples[1].messages[0].content).toBe('Two\nlines\n\nx');
    expect(result.badRows).toEqual([{ line: 5, reason: 'has 2 fields; the header has 3' }]);
  });

  it('refuses a CSV whose header lacks the columns of any shape, naming them', async () => {
    const error = await refusal(parseDatasetBlob(blob('question,answer\nq,a\n'), { file: 'qa.csv' }));
    expect(error.message).toContain('missing columns: the header (line 1) has "question", "answer"');
  });

  it('refuses a CSV missing a column the chosen shape needs', async () => {
    const error = await refusal(parseDatasetBlob(blob('prompt,reply\nq,a\n'), { file: 'p.csv', format: 'prompt-completion' }));
    expect(error.message).toContain('missing column "completion" needed for "prompt"/"completion" rows');
  });

  it('maps user-chosen columns to the fields of a shape (TSV)', async () => {
    const tsv = 'question\tanswer\nWhat is 2+2?\tFour.\n';
    const result = await parseDatasetBlob(blob(tsv), {
      file: 'qa.tsv',
      format: 'prompt-completion',
      mapping: { prompt: 'question', completion: 'answer' },
    });
    expect(result.examples).toEqual([
      {
        kind: 'chat',
        line: 2,
        messages: [
          { role: 'user', content: 'What is 2+2?' },
          { role: 'assistant', content: 'Four.' },
        ],
      },
    ]);
  });

  it('lists a malformed JSONL line, and refuses the file with it under fail-on-bad-rows', async () => {
    const jsonl = '{"text":"one"}\n{"text": "two"\n{"text":"three"}\n';
    const skipped = await parseDatasetBlob(blob(jsonl), { file: 'd.jsonl' });
    expect(skipped.examples).toHaveLength(2);
    expect(skipped.badRows).toHaveLength(1);
    expect(skipped.badRows[0].line).toBe(2);
    expect(skipped.badRows[0].reason).toMatch(/^invalid JSON: expected ',' or '}'/);
    const error = await refusal(parseDatasetBlob(blob(jsonl), { file: 'd.jsonl', onBadRow: 'fail' }));
    expect(error.message).toMatch(/^d\.jsonl: 1 bad row: line 2 col \d+: invalid JSON/);
  });

  it('maps JSON array rows and reports their keys as columns', async () => {
    const json = '[{"q":"hello","a":"hi"},\n {"q":"bye","a":"ciao"}]';
    const seen: string[][] = [];
    const result = await parseDatasetBlob(blob(json), {
      file: 'd.json',
      format: 'prompt-completion',
      mapping: { prompt: 'q', completion: 'a' },
      onColumns: (c) => seen.push(c),
    });
    expect(result.container).toBe('json');
    expect(result.columns).toEqual(['q', 'a']);
    expect(seen).toEqual([['q', 'a']]);
    expect(result.examples.map((e) => e.line)).toEqual([1, 2]);
  });

  it('refuses empty, binary and unsupported files with what is wrong', async () => {
    expect((await refusal(parseDatasetBlob(blob(''), { file: 'e.jsonl' }))).message).toBe('e.jsonl: the file is empty (0 bytes)');
    const binary = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]);
    expect((await refusal(parseDatasetBlob(blob(binary), { file: 'x.jsonl' }))).message).toBe(
      'x.jsonl: is a binary file, not text (a NUL byte at byte 8)',
    );
    expect((await refusal(parseDatasetBlob(blob('{}'), { file: 'x.xlsx' }))).message).toContain('unsupported file type ".xlsx"');
    expect((await refusal(parseDatasetBlob(blob('nope'), { file: 'x.parquet' }))).message).toContain('is not a Parquet file');
  });

  it('reads plain text paragraphs and reports byte progress', async () => {
    const progress: number[] = [];
    const result = await parseDatasetBlob(blob('One story.\n\nAnother one.\n'), {
      file: 'stories.txt',
      onProgress: (done) => progress.push(done),
    });
    expect(result.shape).toBe('text');
    expect(result.examples).toHaveLength(2);
    expect(progress.at(-1)).toBe(25);
  });
});

describe('parseDatasetFile on Parquet', () => {
  it('reads rows by their column names, numbering them from 1, with a mapping', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'question', data: ['What is the moon?', 'Who hums?', ''], type: 'STRING' },
        { name: 'answer', data: ['A rock in the sky.', 'The moon.', 'Nobody.'], type: 'STRING' },
      ],
    });
    const file = new Blob([buffer]);
    const error = await refusal(parseDatasetBlob(file, { file: 'qa.parquet' }));
    expect(error.message).toContain('missing columns: the schema has "question", "answer"');
    const result = await parseDatasetBlob(file, {
      file: 'qa.parquet',
      format: 'prompt-completion',
      mapping: { prompt: 'question', completion: 'answer' },
    });
    expect(result.container).toBe('parquet');
    expect(result.rowUnit).toBe('row');
    expect(result.columns).toEqual(['question', 'answer']);
    expect(result.examples.map((e) => e.line)).toEqual([1, 2]);
    expect(result.badRows).toEqual([{ line: 3, reason: 'empty content: "prompt" is empty' }]);
  });

  it('streams examples to onExample without keeping them, for every container, with the same counts', async () => {
    const files: [string, string][] = [
      ['a.jsonl', '{"text":"one"}\nnot json\n{"text":"two"}\n'],
      ['a.csv', 'text\none\n"two"\n'],
      ['a.txt', 'one\n\ntwo\n'],
    ];
    for (const [name, text] of files) {
      const kept = await parseDatasetBlob(blob(text), { file: name });
      const streamed: number[] = [];
      const result = await parseDatasetBlob(blob(text), { file: name, onExample: (e) => streamed.push(e.line!) });
      expect(result.examples).toEqual([]);
      expect(streamed).toEqual(kept.examples.map((e) => e.line));
      expect(streamed).toHaveLength(2);
      expect({ ...result, examples: kept.examples }).toEqual(kept);
    }
    // A file with no usable row is still refused when its examples are streamed.
    const none = await refusal(parseDatasetBlob(blob('nope\n'), { file: 'b.jsonl', onExample: () => undefined }));
    expect(none.message).toContain('no usable examples');
  });
});

describe('bad input, read the same way by every front end', () => {
  it('a CSV with a BOM reads its first column by its name, and a quoted newline stays inside its field', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('prompt,completion\r\n"Line one\r\nline two",Done.\r\n')]);
    const result = await parseDatasetBlob(blob(bytes), { file: 'bom.csv' });
    expect(result.columns).toEqual(['prompt', 'completion']);
    expect(result.examples).toEqual([
      { kind: 'chat', line: 2, messages: [{ role: 'user', content: 'Line one\r\nline two' }, { role: 'assistant', content: 'Done.' }] },
    ]);
  });

  it('lists a ragged row by its line, counting the lines of a quoted newline before it', async () => {
    const csv = 'text\n"a\nb"\nc,d\ne\n';
    const result = await parseDatasetBlob(blob(csv), { file: 'ragged.csv' });
    expect(result.examples.map((e) => e.line)).toEqual([2, 5]);
    expect(result.badRows).toEqual([{ line: 4, reason: 'has 2 fields; the header has 1' }]);
  });

  it('refuses a Parquet column of the wrong type, naming it (and the field it was mapped to)', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const file = new Blob([
      parquetWriteBuffer({
        columnData: [
          { name: 'question', data: ['What is 2+2?', 'And 3+3?'], type: 'STRING' },
          { name: 'score', data: [4, 6], type: 'INT32' },
        ],
      }),
    ]);
    const error = await refusal(parseDatasetBlob(file, { file: 'n.parquet', mapping: { prompt: 'question', completion: 'score' } }));
    expect(error.message).toBe(
      'n.parquet: wrong column type: column "score" (for completion) is INT32 in the schema; "prompt"/"completion" rows need text (a string column)',
    );
  });

  it('refuses a required field mapped to no column, and lets an optional one read none', async () => {
    const csv = 'instruction,input,output\nAdd.,2 and 3,5\n';
    const error = await refusal(parseDatasetBlob(blob(csv), { file: 'm.csv', mapping: { output: '' } }));
    expect(error.message).toBe(
      'm.csv: "output" is mapped to no column, but Alpaca ("instruction"/"output") rows need it; map it to one of "instruction", "input", "output"',
    );
    const noInput = await parseDatasetBlob(blob(csv), { file: 'm.csv', mapping: { input: '' } });
    expect(noInput.examples[0].kind === 'chat' && noInput.examples[0].messages[0].content).toBe('Add.');
  });

  it('detects the shape a mapping names, without a format', async () => {
    const csv = 'question,answer\nWhat is 2+2?,Four.\n';
    const result = await parseDatasetBlob(blob(csv), { file: 'qa.csv', mapping: { prompt: 'question', completion: 'answer' } });
    expect([result.shape, result.examples.length]).toEqual(['prompt-completion', 1]);
    const missing = await refusal(parseDatasetBlob(blob(csv), { file: 'qa.csv', mapping: { prompt: 'question', completion: 'reply' } }));
    expect(missing.message).toContain('missing column "reply" (for completion) needed for "prompt"/"completion" rows');
  });

  it('reads CSV text, and JSON rows through a mapping, without a Blob', () => {
    expect(parseDatasetText('text\none\n', { file: 'a.csv' }).examples).toEqual([{ kind: 'text', text: 'one', line: 2 }]);
    const json = parseDatasetText('{"q":"hi","a":"hello"}\n', { file: 'a.jsonl', mapping: { prompt: 'q', completion: 'a' } });
    expect([json.shape, json.columns]).toEqual(['prompt-completion', ['q', 'a']]);
  });

  it('takes the container from the extension, or from the first character when there is none', async () => {
    expect((await parseDatasetBlob(blob('[{"text":"a"}]'), { file: 'export' })).container).toBe('json');
    expect((await parseDatasetBlob(blob('{"text":"a"}\n'), { file: 'export' })).container).toBe('jsonl');
    expect((await parseDatasetBlob(blob('plain words\n'), { file: 'notes' })).container).toBe('txt');
    expect(() => parseDatasetText('a,b\n', { file: 'x.xlsx' })).toThrow('x.xlsx: unsupported file type ".xlsx"; expected .jsonl, .json, .csv, .tsv, .parquet, .txt');
  });
});
