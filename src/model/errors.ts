/**
 * Every problem found while reading a model file is a `ModelFormatError` whose message starts with the file's name,
 * so the UI can show it as is and a user knows which of several dropped files to look at.
 */
export class ModelFormatError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ModelFormatError';
  }
}
