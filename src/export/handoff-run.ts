/**
 * A run's hand-off folder from what a run starts from: the base (its tokenizer and chat template), the parsed
 * dataset and the settings. The examples are tokenized and split exactly as training does (prepareDataset with the
 * run's sequence length, masking, over-length rule and split), and each kept example maps back to its row, so the
 * JSONL holds the rows the run trains and holds out. The CLI (`webtune handoff`) and the studio's Train view both
 * make it here.
 */
import type { ParseResult } from '../data/parse/parse';
import { prepareDataset } from '../data/prepare';
import { contentKey, type SplitOptions } from '../data/split';
import type { Example } from '../data/types';
import { chatTemplateFor } from '../model/chat';
import type { LoadedModel } from '../model/load';
import type { TrainingConfig } from '../train/config';
import { handoffFiles } from './handoff';

export interface HandoffInput {
  model: Pick<LoadedModel, 'tokenizer' | 'chatTemplate'>;
  parsed: ParseResult;
  datasetName: string;
  config: TrainingConfig;
  /** The run's name (folders, comments). */
  name: string;
  /** The base as the other tools download it (a Hub id where known). */
  baseModel: string;
  /** The split the run uses when not the config's (the Datasets view's). */
  split?: SplitOptions | null;
}

/** Every file of the hand-off folder, and how many rows training leaves out (nothing to train in them). */
export function handoffOfDataset(input: HandoffInput): { files: Record<string, string>; dropped: number } {
  const { config } = input;
  const template = chatTemplateFor(input.model.tokenizer, input.model.chatTemplate);
  const split = input.split ?? { validationFraction: config.valSplit, seed: config.seed };
  const prepared = prepareDataset(input.parsed, {
    tokenizer: input.model.tokenizer,
    template,
    // Prompt tuning's virtual tokens take the head of every sequence: the text gets the rest, as in training.
    seqLen: config.seqLen - (config.method === 'prompt' ? config.virtualTokens : 0),
    trainOnInputs: config.trainOnInputs,
    overLength: config.overLength,
    validationFraction: split.validationFraction,
    seed: split.seed,
    file: input.datasetName,
  });
  const byKey = new Map<number, Example>();
  for (const e of input.parsed.examples) byKey.set(contentKey(e), e);
  const rows = (examples: readonly { key: number }[]) => examples.map((t) => byKey.get(t.key)!);
  const files = handoffFiles({
    name: input.name,
    baseModel: input.baseModel,
    config,
    chatTemplate: { source: template.source, own: template.kind === 'model' },
    train: rows(prepared.train),
    validation: rows(prepared.validation),
  });
  return { files, dropped: prepared.dropped.length };
}
