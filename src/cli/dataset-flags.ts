/**
 * The dataset flags `webtune data`, `train` and `eval` share: how a file is read where detection is not enough
 * (its shape, which column holds each field) and what to do with bad rows. One parser and one help text, so the
 * three commands read a file alike, and as the Datasets view does with the same choices.
 */
import { DATASET_SHAPES, type DatasetReadSettings, type DatasetShape, SHAPE_FIELDS } from '../data';
import { choiceOption } from './args';
import { UsageError } from './output';

/** parseArgs options of the dataset flags. */
export const DATASET_FLAG_OPTIONS = {
  format: { type: 'string' },
  column: { type: 'string', multiple: true },
  'bad-rows': { type: 'string' },
} as const;

export const DATASET_FLAGS_HELP = `  --format F              dataset shape: auto | ${DATASET_SHAPES.join(' | ')}
                          (default auto: from the header or the first row)
  --column FIELD=COLUMN   read a shape's field from another column, e.g. --column instruction=question; repeat per
                          field; FIELD= reads no column (optional fields: input, system)
  --bad-rows skip|fail    skip bad rows and list them (default), or refuse a file that has any`;

export interface DatasetFlagValues {
  format?: string;
  column?: string[];
  'bad-rows'?: string;
}

/** Every field some shape reads, for the message when a --column names none of them. */
const ALL_FIELDS = [...new Set(Object.values(SHAPE_FIELDS).flatMap((fields) => fields.map((f) => f.field)))];

export function parseDatasetFlags(values: DatasetFlagValues): DatasetReadSettings {
  const format = choiceOption('format', values.format, ['auto', ...DATASET_SHAPES] as const) ?? 'auto';
  const onBadRow = choiceOption('bad-rows', values['bad-rows'], ['skip', 'fail'] as const) ?? 'skip';
  return { format, mapping: parseColumns(values.column ?? [], format), onBadRow };
}

function parseColumns(items: readonly string[], format: DatasetShape | 'auto'): Record<string, string> {
  const fields = format === 'auto' ? ALL_FIELDS : SHAPE_FIELDS[format].map((f) => f.field);
  const mapping: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    const field = at < 0 ? '' : item.slice(0, at).trim();
    if (!field) throw new UsageError(`--column got '${item}'; expected FIELD=COLUMN, e.g. --column instruction=question`);
    if (!fields.includes(field)) {
      const of = format === 'auto' ? 'any shape' : `${format} rows`;
      throw new UsageError(`--column: '${field}' is not a field of ${of}; expected one of ${fields.join(', ')}`);
    }
    if (Object.hasOwn(mapping, field)) throw new UsageError(`--column: '${field}' is given twice`);
    mapping[field] = item.slice(at + 1).trim();
  }
  return mapping;
}
