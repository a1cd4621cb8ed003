/**
 * `webtune data <file>`: what the studio's Datasets view shows about a dataset file, from the same code
 * (src/data/summary): its container and shape, the column mapping, rows and bad rows by line, trained and masked
 * tokens with a model's tokenizer and chat template, the token-length distribution and the split. The file is
 * read exactly as `webtune train` reads it with the same flags. With --json, stdout gets the summary as JSON.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type DatasetFileSummary, type DatasetReadSettings, SHAPE_FIELDS, summarizeDataset } from '../data';
import { openDatasetFile } from '../data/load-node';
import { SHAPE_LABELS } from '../data/parse/shapes';
import { chatTemplateFor } from '../model/chat';
import { closeModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { formatBytes } from '../train/memory-estimate';
import { DATASET_FLAG_OPTIONS, DATASET_FLAGS_HELP, parseDatasetFlags } from './dataset-flags';
import { log, out, UsageError } from './output';
import { configFromFlags, SETTING_FLAG_OPTIONS, settingFlagsHelp } from './setting-flags';

/** The model whose tokenizer counts tokens when none is given: the one the studio ships (and uses alike). */
const BUNDLED_MODEL = fileURLToPath(new URL('../../public/models/stories260K/stories260K.gguf', import.meta.url));

/** The training settings that change the figures, with the flags and ranges `webtune train` has. */
const SETTING_FLAGS = ['seq-len', 'train-on-inputs', 'val-split', 'seed'] as const;

const HELP = `usage: webtune data <file> [--model <file.gguf | hf-folder>] [options]

Reads a dataset file (.jsonl .json .csv .tsv .parquet .txt) as \`webtune train\` does and prints what the studio's
Datasets view shows: container, shape, column mapping, rows, bad rows by line, trained and masked tokens, the
token-length distribution and the train/validation split.

  --model M               the model whose tokenizer and chat template make the tokens (default: the bundled
                          stories260K)
${DATASET_FLAGS_HELP}
${settingFlagsHelp()
  .split('\n')
  .filter((line) => SETTING_FLAGS.some((flag) => line.startsWith(`  --${flag} `)))
  .join('\n')}
  --json                  print the summary as one JSON object on stdout
`;

export async function runData(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      ...DATASET_FLAG_OPTIONS,
      ...Object.fromEntries(SETTING_FLAGS.map((flag) => [flag, SETTING_FLAG_OPTIONS[flag]])),
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    log(HELP);
    return;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`${positionals.length ? 'give one dataset file' : 'the dataset file is required'}\n\n${HELP}`);
  }
  const [path] = positionals;
  const read = parseDatasetFlags(values);
  const given = values as Record<string, string | boolean | undefined>;
  const config = configFromFlags(Object.fromEntries(SETTING_FLAGS.map((flag) => [flag, given[flag]])));
  const blob = await openDatasetFile(path);
  const model = await loadModelFromPath(values.model ?? BUNDLED_MODEL);
  try {
    const template = chatTemplateFor(model.tokenizer, model.chatTemplate);
    const summary = await summarizeDataset(blob, {
      file: path,
      ...read,
      tokenizer: model.tokenizer,
      template,
      seqLen: config.seqLen,
      trainOnInputs: config.trainOnInputs,
      validationFraction: config.valSplit,
      seed: config.seed,
    });
    const tokenizer = { model: model.name, template: template.kind };
    if (values.json) out(`${JSON.stringify({ ...summary, mapping: mappingOf(summary, read), tokenizer })}\n`);
    else out(describe(summary, read, tokenizer, config.valSplit, config.seed));
  } finally {
    await closeModel(model);
  }
}

/** field → the column it is read from, for the shape's fields the file has (null: mapped to none). */
function mappingOf(summary: DatasetFileSummary, read: DatasetReadSettings): Record<string, string | null> {
  if (summary.container === 'txt') return {};
  const mapping: Record<string, string | null> = {};
  for (const { field } of SHAPE_FIELDS[summary.shape]) {
    const column = read.mapping[field] ?? field;
    if (column === '') mapping[field] = null;
    else if (summary.columns.includes(column)) mapping[field] = column;
  }
  return mapping;
}

const CONTAINER_NAMES: Record<DatasetFileSummary['container'], string> = {
  jsonl: 'JSON Lines',
  json: 'JSON array',
  csv: 'CSV',
  tsv: 'TSV',
  parquet: 'Parquet',
  txt: 'plain text',
};

/** Rows listed in full; the rest are counted. */
const LISTED = 20;

function describe(
  s: DatasetFileSummary,
  read: DatasetReadSettings,
  tokenizer: { model: string; template: string },
  validationFraction: number,
  seed: number,
): string {
  const unit = s.rowUnit;
  const about = s.sampling ? '≈ ' : '';
  const lines = [`${s.file}: ${CONTAINER_NAMES[s.container]}, ${SHAPE_LABELS[s.shape]} rows, ${formatBytes(s.bytes)}`];
  if (s.columns.length) lines.push(`columns: ${s.columns.join(', ')}`);
  const mapping = Object.entries(mappingOf(s, read));
  if (mapping.length) lines.push(`mapping: ${mapping.map(([field, column]) => `${field} ← ${column ?? '(none)'}`).join(', ')}`);
  lines.push(`rows: ${s.rows} (${s.examples} examples, ${s.badRowCount} bad)`);
  const listRows = (title: string, rows: DatasetFileSummary['badRows'], count: number) => {
    if (count === 0) return;
    lines.push(`${title}:`);
    for (const row of rows.slice(0, LISTED)) lines.push(`  ${unit} ${row.line}: ${row.reason}`);
    if (count > LISTED) lines.push(`  … and ${count - LISTED} more`);
  };
  listRows('bad rows', s.badRows, s.badRowCount);
  listRows('left out after tokenizing', s.dropped, s.dropped.length);
  lines.push(
    `tokens (${tokenizer.model}, ${tokenizer.template} chat template, sequence length ${s.seqLen}): ` +
      `${about}${s.totalTokens} in all, ${s.trainedTokens} trained, ${s.totalTokens - s.trainedTokens} masked`,
  );
  lines.push(`lengths: median ${s.medianTokens}, longest ${s.maxTokens}; ${about}${s.overLength} longer than ${s.seqLen} (truncated)`);
  const widest = Math.max(1, ...s.histogram.map((bin) => bin.count));
  for (const bin of s.histogram) {
    const range = (bin.to - bin.from > 1 ? `${bin.from}–${bin.to - 1}` : `${bin.from}`).padStart(11);
    lines.push(`  ${range} ${'█'.repeat(Math.ceil((30 * bin.count) / widest))} ${bin.count}`);
  }
  lines.push(
    `split (${Math.round(validationFraction * 1000) / 10}% held out, seed ${seed}): ` +
      `${about}${s.split.train} to train, ${s.split.validation} to validate`,
  );
  if (s.sampling) {
    lines.push(`token figures are estimated from ${s.sampling.examples} sampled examples of ${s.sampling.of}; rows are counted exactly`);
  }
  return `${lines.join('\n')}\n`;
}
