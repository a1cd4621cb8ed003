/**
 * The CLI's two channels: stdout carries only results (generated text, or one JSON object with --json);
 * everything for humans — progress, notices, errors — goes to stderr.
 */
export const out = (text: string): void => {
  process.stdout.write(text);
};

export const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

export class UsageError extends Error {
  override name = 'UsageError';
}
