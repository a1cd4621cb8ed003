/**
 * Where a piece of JSON first goes wrong, and why, in words a user can act on. `JSON.parse` does the real
 * parsing; this runs only after it failed, because engines word and place their errors differently (Safari gives
 * no position at all) and a dataset tool must say "line 12 col 31" everywhere.
 */

import { findDeepNesting, MAX_JSON_DEPTH } from './limits';

export interface JsonSyntaxError {
  /** Offset in UTF-16 code units into the text. */
  offset: number;
  message: string;
  /** The text was not parsed because it nests deeper than `MAX_JSON_DEPTH` (it may well be valid JSON). */
  tooDeep?: boolean;
}

class Stop {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = '"\\/bfnrt';

export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  let i = 0;
  const found = () => (i >= text.length ? 'the end of the text' : `'${String.fromCodePoint(text.codePointAt(i)!)}'`);
  const fail = (message: string): never => {
    throw new Stop(i, message);
  };
  const skipSpace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };

  const string = () => {
    i++;
    for (;;) {
      if (i >= text.length) fail('unterminated string (missing closing ")');
      const c = text.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape: expected 4 hex digits');
          i += 6;
        } else if (e !== undefined && ESCAPES.includes(e)) {
          i += 2;
        } else {
          fail(`bad escape '\\${e ?? ''}' in string`);
        }
        continue;
      }
      if (c < 0x20) fail('raw control character in string (write newlines and tabs as \\n and \\t)');
      i++;
    }
  };

  const value = (): void => {
    skipSpace();
    const c = text[i];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) fail('invalid number');
      i = NUMBER.lastIndex;
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) return void (i += word.length);
    }
    if (c === "'") fail("strings must use double quotes, found '");
    fail(`expected a value, found ${found()}`);
  };

  const object = () => {
    i++;
    skipSpace();
    if (text[i] === '}') return void i++;
    for (;;) {
      skipSpace();
      if (text[i] !== '"') fail(`expected a property name in double quotes, found ${found()}`);
      string();
      skipSpace();
      if (text[i] !== ':') fail(`expected ':' after a property name, found ${found()}`);
      i++;
      value();
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') return void i++;
      fail(`expected ',' or '}' after a property value, found ${found()}`);
    }
  };

  const array = () => {
    i++;
    skipSpace();
    if (text[i] === ']') return void i++;
    for (;;) {
      value();
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') return void i++;
      fail(`expected ',' or ']' after an array element, found ${found()}`);
    }
  };

  try {
    value();
    skipSpace();
    if (i < text.length) fail(`unexpected ${found()} after the end of the JSON value`);
    return null;
  } catch (e) {
    if (e instanceof Stop) return { offset: e.offset, message: e.message };
    if (e instanceof RangeError) return { offset: 0, message: 'nested too deeply to check' };
    throw e;
  }
}

/**
 * 1-based line and column (in characters, not UTF-16 units) of an offset, given where the text itself starts.
 * Counts without copying: the text may be a 16 MiB line with its error at the end.
 */
export function lineAndColumn(text: string, offset: number, startLine = 1, startColumn = 1): [number, number] {
  const end = Math.min(offset, text.length);
  let line = startLine;
  let lineStart = 0;
  for (let at = text.indexOf('\n'); at >= 0 && at < end; at = text.indexOf('\n', at + 1)) {
    line++;
    lineStart = at + 1;
  }
  let columns = 0;
  for (let i = lineStart; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) columns++; // a low surrogate is the second half of one character
  }
  return [line, lineStart === 0 ? startColumn + columns : 1 + columns];
}

/** A bad row's reason for a JSON value that could not be used. */
export function jsonErrorReason(error: JsonSyntaxError): string {
  return error.tooDeep ? error.message : `invalid JSON: ${error.message}`;
}

/** Parses one JSON value, or says where and why it is not JSON (or is nested too deeply to read safely). */
export function parseJsonValue(text: string): { ok: true; value: unknown } | { ok: false; error: JsonSyntaxError } {
  const deep = findDeepNesting(text);
  if (deep >= 0) {
    const message = `JSON nested too deeply: more than ${MAX_JSON_DEPTH} levels of arrays/objects (a chat row needs about 4)`;
    return { ok: false, error: { offset: deep, message, tooDeep: true } };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    // Fall back to the engine's words if the locator disagrees (it should not): still a specific reason.
    const error = findJsonSyntaxError(text) ?? { offset: 0, message: (e as Error).message };
    return { ok: false, error };
  }
}
