/**
 * What the data pipeline hands the engine: one micro-batch of token sequences packed end to end, padding-free.
 * This is the meeting point of src/data (which builds batches) and src/gpu/train (which trains on them).
 *
 * Sequences are laid out one after another in T slots. For token slot i:
 *   tokens[i]    the input token id
 *   targets[i]   the id the model must predict at slot i (the next token of the same sequence), or IGNORE_TARGET
 *                where slot i is not trained (prompt/user tokens, the last token of a sequence, padding)
 *   positions[i] the RoPE position of the token inside its own sequence (restarts at 0 for each sequence)
 *   seqStart[i]  the slot of the first token of slot i's sequence, so attention never crosses sequences
 */
export const IGNORE_TARGET = -1;

export interface TokenBatch {
  /** [T] u32 */
  tokens: Uint32Array;
  /** [T] i32, IGNORE_TARGET where not trained */
  targets: Int32Array;
  /** [T] u32 */
  positions: Uint32Array;
  /** [T] u32 */
  seqStart: Uint32Array;
  /** How many sequences (examples, or pieces of examples) the batch holds. */
  sequences: number;
  /** Number of slots whose target is not IGNORE_TARGET. */
  trainedTokens: number;
  /**
   * Prompt tuning: every sequence starts with this many virtual slots (positions 0..P-1, token 0, untrained), whose
   * embeddings the engine takes from the learned prompt. Absent: none.
   */
  virtualTokens?: number;
}
