/**
 * How much of a dataset file one row may hold, and the JSON depth scan. A hostile or corrupt file (a 500 MB line
 * with no newline, an unclosed quote, `[[[[…` a million deep) must end in a `DatasetError` or a bad row naming
 * its line, never in a tab that runs out of memory, a stack overflow or a hang. Every reader that gathers a row
 * from pieces checks its size *before* joining them, so the cap is the most a row can cost.
 */

/**
 * Characters in one line, CSV/TSV record, JSON array element or plain-text paragraph: 16 Mi. A real training row
 * (a long chat, a document) is a few hundred KiB at most, so this is far above any; a string this size costs
 * 16–32 MB in a tab, far below the few GiB it has. Past it the file is not line-based (a minified 500 MB JSON
 * value, a binary) or lost its thread (an unclosed quote swallowing the rest of the file).
 */
export const MAX_RECORD_CHARS = 16 * 2 ** 20;

/**
 * Characters in the one example of a plain-text file read whole (`textUnit: 'file'`): 64 Mi, a shelf of books.
 * Training truncates an example to its sequence length anyway; the cap only keeps the lines and their joined copy
 * (twice the text) within a tab's memory.
 */
export const MAX_TEXT_FILE_CHARS = 64 * 2 ** 20;

/**
 * Arrays and objects inside one another in a JSON row: 64. A chat row needs 4 (row → messages → turn → content
 * parts); JSON.parse in some engines (and our error locator) recurses once per level, so `[[[[…` 100 000 deep
 * would overflow the stack instead of being a bad row.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Fields of one row, CSV/TSV header columns and Parquet schema columns: 10 000. A training row has a handful;
 * the column names are offered to the user for mapping, which a million-key row would turn into a hang.
 */
export const MAX_ROW_FIELDS = 10_000;

/** "16 MiB" for a whole number of Mi, else the count: for messages about a cap. */
export function sizeLabel(chars: number): string {
  return chars % 2 ** 20 === 0 ? `${chars / 2 ** 20} MiB` : `${chars} characters`;
}

/** A value quoted in a message, cut short: a 16 MB key or role name must not become a 16 MB bad-row reason. */
export function quoted(text: string, max = 60): string {
  return `"${text.length > max ? `${text.slice(0, max)}…` : text}"`;
}

/**
 * The offset of the first '[' or '{' nested deeper than `maxDepth` in a JSON text, or -1. One pass: strings are
 * skipped with indexOf (a quote preceded by an odd run of backslashes is escaped), so brackets inside strings do
 * not count and a row costs about what JSON.parse costs. Brackets need not balance: invalid JSON is found later.
 */
export function findDeepNesting(text: string, maxDepth = MAX_JSON_DEPTH): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i + 1);
      if (i < 0) return -1; // an unterminated string: no bracket after it counts
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/** The offset of the quote that closes the string whose first character is at `from`, or -1. */
function stringEnd(text: string, from: number): number {
  for (let q = text.indexOf('"', from); q >= 0; q = text.indexOf('"', q + 1)) {
    let backslashes = 0;
    while (q - 1 - backslashes >= from && text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return q;
  }
  return -1;
}
