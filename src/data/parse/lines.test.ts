import { describe, expect, it } from 'vitest';
import { DatasetError } from '../types';
import { LineSplitter, textChunks } from './lines';

const utf8 = (s: string) => new TextEncoder().encode(s);

async function collect(source: Parameters<typeof textChunks>[0]): Promise<string> {
  let text = '';
  for await (const chunk of textChunks(source)) text += chunk;
  return text;
}

function splitLines(chunks: string[]): [string, number][] {
  const out: [string, number][] = [];
  const splitter = new LineSplitter((text, line) => out.push([text, line]));
  chunks.forEach((c) => splitter.push(c));
  splitter.finish();
  return out;
}

/** Every way of cutting `bytes` in two. */
function* twoPieces(bytes: Uint8Array): Generator<Uint8Array[]> {
  for (let cut = 0; cut <= bytes.length; cut++) yield [bytes.subarray(0, cut), bytes.subarray(cut)];
}

describe('textChunks', () => {
  const text = 'héllo 漢字 👨‍👩‍👧\r\nnext ü';

  it('decodes a multi-byte character split between chunks, at every cut', async () => {
    for (const pieces of twoPieces(utf8(text))) expect(await collect(pieces)).toBe(text);
  });

  it('reads a ReadableStream one byte at a time', async () => {
    const bytes = utf8(text);
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at < bytes.length) controller.enqueue(bytes.subarray(at, ++at));
        else controller.close();
      },
    });
    expect(await collect(stream)).toBe(text);
  });

  it('drops a byte-order mark, from bytes and from a string', async () => {
    expect(await collect([new Uint8Array([0xef, 0xbb]), new Uint8Array([0xbf, 0x61])])).toBe('a');
    expect(await collect('\ufeffa')).toBe('a');
  });

  it('refuses bytes that are not UTF-8', async () => {
    const bad = collect([utf8('ok\n'), new Uint8Array([0x7b, 0xff, 0xfe])]);
    await expect(bad).rejects.toThrow(DatasetError);
    await expect(collect([utf8('ok\n'), new Uint8Array([0xff])])).rejects.toThrow(/not UTF-8 text \(invalid bytes within bytes 3–4\)/);
    // A character cut off at the very end is also invalid.
    await expect(collect([utf8('é').subarray(0, 1)])).rejects.toThrow(/not UTF-8/);
  });
});

describe('LineSplitter', () => {
  it('numbers lines, joins a line split between chunks, and reads CRLF with CR and LF in different chunks', () => {
    expect(splitLines(['one\r', '\ntw', 'o\r\n\r\nthr', 'ee'])).toEqual([
      ['one', 1],
      ['two', 2],
      ['', 3],
      ['three', 4],
    ]);
  });

  it('does not count the empty text after a final newline as a line', () => {
    expect(splitLines(['a\n', 'b\n'])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(splitLines(['\n\n'])).toEqual([
      ['', 1],
      ['', 2],
    ]);
  });
});
