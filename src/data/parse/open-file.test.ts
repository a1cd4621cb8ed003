import { describe, expect, it } from 'vitest';
import { DatasetError } from '../types';
import { parseDatasetFile } from './open-file';

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
    const result = await parseDatasetFile(blob(csv), { file: 'a.csv' });
    expect(result.container).toBe('csv');
    expect(result.shape).toBe('alpaca');
    expect(result.columns).toEqual(['instruction', 'input', 'output']);
    expect(result.examples).toHaveLength(2);
    expect(result.examples[1]).toMatchObject({ kind: 'chat', line: 3 });
    expect(result.examples[1].kind === 'chat' && result.examples[1].messages[0].content).toBe('Two\nlines\n\nx');
    expect(result.badRows).toEqual([{ line: 5, reason: 'has 2 fields; the header has 3' }]);
  });

  it('refuses a CSV whose header lacks the columns of any shape, naming them', async () => {
    const error = await refusal(parseDatasetFile(blob('question,answer\nq,a\n'), { file: 'qa.csv' }));
    expect(error.message).toContain('missing columns: the header (line 1) has "question", "answer"');
  });

  it('refuses a CSV missing a column the chosen shape needs', async () => {
    const error = await refusal(parseDatasetFile(blob('prompt,reply\nq,a\n'), { file: 'p.csv', format: 'prompt-completion' }));
    expect(error.message).toContain('missing column "completion" needed for "prompt"/"completion" rows');
  });

  it('maps user-chosen columns to the fields of a shape (TSV)', async () => {
    const tsv = 'question\tanswer\nWhat is 2+2?\tFour.\n';
    const result = await parseDatasetFile(blob(tsv), {
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
    const skipped = await parseDatasetFile(blob(jsonl), { file: 'd.jsonl' });
    expect(skipped.examples).toHaveLength(2);
    expect(skipped.badRows).toHaveLength(1);
    expect(skipped.badRows[0].line).toBe(2);
    expect(skipped.badRows[0].reason).toMatch(/^invalid JSON: expected ',' or '}'/);
    const error = await refusal(parseDatasetFile(blob(jsonl), { file: 'd.jsonl', onBadRow: 'fail' }));
    expect(error.message).toMatch(/^d\.jsonl: 1 bad row: line 2 col \d+: invalid JSON/);
  });

  it('maps JSON array rows and reports their keys as columns', async () => {
    const json = '[{"q":"hello","a":"hi"},\n {"q":"bye","a":"ciao"}]';
    const seen: string[][] = [];
    const result = await parseDatasetFile(blob(json), {
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
    expect((await refusal(parseDatasetFile(blob(''), { file: 'e.jsonl' }))).message).toBe('e.jsonl: the file is empty (0 bytes)');
    const binary = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]);
    expect((await refusal(parseDatasetFile(blob(binary), { file: 'x.jsonl' }))).message).toBe(
      'x.jsonl: is a binary file, not text (a NUL byte at byte 8)',
    );
    expect((await refusal(parseDatasetFile(blob('{}'), { file: 'x.xlsx' }))).message).toContain('unsupported file type ".xlsx"');
    expect((await refusal(parseDatasetFile(blob('nope'), { file: 'x.parquet' }))).message).toContain('is not a Parquet file');
  });

  it('reads plain text paragraphs and reports byte progress', async () => {
    const progress: number[] = [];
    const result = await parseDatasetFile(blob('One story.\n\nAnother one.\n'), {
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
    const error = await refusal(parseDatasetFile(file, { file: 'qa.parquet' }));
    expect(error.message).toContain('missing columns: the schema has "question", "answer"');
    const result = await parseDatasetFile(file, {
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
      const kept = await parseDatasetFile(blob(text), { file: name });
      const streamed: number[] = [];
      const result = await parseDatasetFile(blob(text), { file: name, onExample: (e) => streamed.push(e.line!) });
      expect(result.examples).toEqual([]);
      expect(streamed).toEqual(kept.examples.map((e) => e.line));
      expect(streamed).toHaveLength(2);
      expect({ ...result, examples: kept.examples }).toEqual(kept);
    }
    // A file with no usable row is still refused when its examples are streamed.
    const none = await refusal(parseDatasetFile(blob('nope\n'), { file: 'b.jsonl', onExample: () => undefined }));
    expect(none.message).toContain('no usable examples');
  });
});
