/**
 * The README.md model card that goes into every PEFT and merged export: what was fine-tuned from what, how, on
 * what data, how well, and by which software, in the front-matter fields the Hugging Face Hub reads (base_model,
 * library_name, tags) and a table a person reads. Facts not known (an imported adapter's dataset) are left out
 * rather than guessed.
 */
import { type AnyAdapter, isIa3Adapter, isPromptAdapter } from '../adapters/any-adapter';

export const SOFTWARE = 'webtune 0.1.0 (WebGPU, in the browser)';

export interface CardFacts {
  /** The export's name (the adapter's). */
  name: string;
  /** The base model as the user loaded it: a Hub repo id or a file name. */
  baseModel: string;
  /** 'LoRA', 'QLoRA (NF4)', 'DoRA', 'IA³', 'Prompt tuning', …. */
  method: string;
  /** What the files are: 'PEFT adapter', 'merged model, GGUF Q8_0', 'merged model, safetensors BF16'…. */
  artifact: string;
  rank?: number;
  alpha?: number;
  targets?: readonly string[];
  dataset?: { name: string; examples?: number };
  validationLoss?: number | null;
  /** Further hyperparameters as shown to the user (learning rate, steps, sequence length, seed…). */
  settings?: Readonly<Record<string, string | number | boolean>>;
  /** Lines the exporter wants the reader to know (per-tensor quantization fallbacks…). */
  notes?: readonly string[];
}

const yamlString = (s: string): string => JSON.stringify(s);

export function modelCard(facts: CardFacts): string {
  const peft = facts.artifact.startsWith('PEFT');
  const front = [
    '---',
    `base_model: ${yamlString(facts.baseModel)}`,
    ...(peft ? ['library_name: peft'] : []),
    'tags:',
    '  - webtune',
    `  - ${yamlString(facts.method.split(' ')[0].toLowerCase())}`,
    ...(facts.artifact.includes('GGUF') ? ['  - gguf'] : []),
    ...(facts.dataset ? ['datasets:', `  - ${yamlString(facts.dataset.name)}`] : []),
    '---',
  ];
  const rows: [string, string][] = [
    ['Base model', facts.baseModel],
    ['Method', facts.method],
    ['Files', facts.artifact],
  ];
  if (facts.rank !== undefined) rows.push(['Rank', String(facts.rank)]);
  if (facts.alpha !== undefined) rows.push(['Alpha', String(facts.alpha)]);
  if (facts.targets?.length) rows.push(['Target modules', facts.targets.join(', ')]);
  for (const [k, v] of Object.entries(facts.settings ?? {})) rows.push([k, String(v)]);
  if (facts.dataset) {
    rows.push(['Dataset', facts.dataset.examples === undefined ? facts.dataset.name : `${facts.dataset.name} (${facts.dataset.examples} examples)`]);
  }
  if (facts.validationLoss != null) {
    rows.push(['Validation loss', `${facts.validationLoss.toFixed(4)} (perplexity ${Math.exp(facts.validationLoss).toFixed(3)})`]);
  }
  rows.push(['Made with', SOFTWARE]);
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const body = [
    `# ${facts.name}`,
    '',
    `${facts.method} fine-tune of \`${facts.baseModel}\`, made with webtune.`,
    '',
    '| | |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`),
  ];
  if (facts.notes?.length) body.push('', '## Notes', '', ...facts.notes.map((n) => `- ${n}`));
  return `${[...front, '', ...body].join('\n')}\n`;
}

/** What an adapter's own config says about it, for a card when no training run is at hand (the CLI). */
export function adapterCardFacts(adapter: AnyAdapter, name: string): Omit<CardFacts, 'artifact'> {
  const c = adapter.config;
  if (isPromptAdapter(adapter)) {
    return { name, baseModel: c.baseModel, method: 'Prompt tuning', settings: { 'Virtual tokens': adapter.config.virtualTokens } };
  }
  if (isIa3Adapter(adapter)) return { name, baseModel: c.baseModel, method: 'IA³', targets: adapter.config.targets };
  const lora = adapter.config;
  return {
    name,
    baseModel: lora.baseModel,
    method: lora.useDora ? 'DoRA' : 'LoRA',
    rank: lora.r,
    alpha: lora.alpha,
    targets: lora.targets,
    ...(lora.useRslora ? { settings: { rsLoRA: true } } : {}),
  };
}
