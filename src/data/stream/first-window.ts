/**
 * The first window of a streamed file decides the validation set: the rows its content hash holds out, with the
 * split's fix-ups (at least one example on each side), and it refuses a file that leaves nothing to train on.
 */
import { fixUpSplit, type SplitOptions } from '../split';
import { nothingTrainedError, type TokenizedExample } from '../tokenize';
import { type BadRow, DatasetError } from '../types';

/** A row of a window that tokenized, and whether its content hash holds it out for validation. */
export interface UsableRow {
  example: TokenizedExample;
  held: boolean;
}

export interface FirstWindowFacts {
  file: string;
  split: SplitOptions;
  /** The window is the whole file. */
  fits: boolean;
  /** Rows that parsed as examples, and those tokenizing dropped: for the refusal's message. */
  examples: number;
  dropped: BadRow[];
}

/** The first window's training and validation examples, each in file order; throws for a file it must refuse. */
export function splitFirstWindow(
  usable: readonly UsableRow[],
  { file, split, fits, examples, dropped }: FirstWindowFacts,
): { train: TokenizedExample[]; validation: TokenizedExample[] } {
  if (usable.length === 0 && fits) throw nothingTrainedError(file, examples, dropped);
  if (fits && split.validationFraction > 0 && usable.length < 2) {
    throw new DatasetError(
      file,
      `a validation split needs at least 2 examples (one to train on, one to validate); the dataset has ${usable.length}`,
    );
  }
  const held = usable.map((u) => u.held);
  if (split.validationFraction > 0) fixUpSplit(usable.map((u) => u.example), held, split.seed);
  return {
    train: usable.filter((_, i) => !held[i]).map((u) => u.example),
    validation: usable.filter((_, i) => held[i]).map((u) => u.example),
  };
}
