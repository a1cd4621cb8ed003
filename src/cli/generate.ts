/**
 * `webtune generate`: continue a prompt with a model. stdout gets only the generated continuation
 * (or, with --json, one JSON object); progress and notices go to stderr. With several adapters (or one and
 * --with-base) every continuation is printed under its label (--json: an array), and the base with the LoRA
 * adapters decodes in one batch; an adapter that cannot share a batch (DoRA, IA³, prompt tuning) runs in its own
 * pass after it, and says so.
 */
import { parseArgs } from 'node:util';
import { commandContext } from './command-device';
import { LlamaModel } from '../gpu/model/llama';
import { uploadModel } from '../gpu/model/upload';
import { generate, generateBatch, type GenerateOptions, type GenerationResult } from '../generate/generate';
import { adapterBatch, releaseLoraAdapter, uploadAnyAdapter } from '../adapters/gpu-adapter';
import { type AnyAdapter, batchable, isIa3Adapter, isPromptAdapter, ownPassReason } from '../adapters/any-adapter';
import { MAX_ADAPTER_SLOTS } from '../gpu/lora/adapter-slots';
import type { UploadedModel } from '../gpu/model/upload';
import type { GpuContext as Context } from '../gpu/context';
import { loadAdapterFromPath } from '../adapters/load-node';
import { closeModel } from '../model/load';
import { loadModelFromPath } from '../model/load-node';
import { chatPrompt, chatPromptBos } from '../model/chat';
import { log, out, UsageError } from './output';

const HELP = `usage: webtune generate --model <file.gguf | hf-folder> --prompt <text> [options]

  --max-tokens N          new tokens to generate (default 128)
  --greedy                always take the most likely token (default when no sampling option is given)
  --temperature T         sample with temperature T (0 = greedy)
  --top-k K               sample among the K most likely tokens
  --top-p P               sample among the most likely tokens covering probability P
  --repetition-penalty R  discourage tokens already in the context (1 = off)
  --seed S                seed for sampling (default 0): same seed, same text
  --stop TEXT             stop when TEXT appears (repeatable)
  --chat                  wrap the prompt as a user turn in the model's chat template
  --system TEXT           system message for --chat
  --context N             cap the context (KV cache) at N tokens
  --truncate              drop the oldest prompt tokens when the prompt does not fit (default: refuse)
  --adapter PATH          apply an adapter: a PEFT folder (adapter_config.json + adapter_model.safetensors; LoRA,
                          DoRA, IA³ or prompt tuning), its adapter_model.safetensors, or a llama.cpp GGUF LoRA
                          (adapter.gguf). Repeat it (up to ${MAX_ADAPTER_SLOTS}) to continue the prompt once per adapter: LoRA
                          adapters and the base decode together in one batch, the others in a pass of their own
  --with-base             also continue the prompt with the base alone (a column beside the adapters')
  --json                  print one JSON object: text, token ids, prefill/decode tokens/s (several columns: an array
                          of them, each with its label, adapter path and whether it was batched)
`;

function number(name: string, value: string | undefined, check: (n: number) => boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} got '${value}', which is not allowed`);
  return n;
}

export async function runGenerate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      'max-tokens': { type: 'string' },
      greedy: { type: 'boolean' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      'repetition-penalty': { type: 'string' },
      seed: { type: 'string' },
      stop: { type: 'string', multiple: true },
      chat: { type: 'boolean' },
      system: { type: 'string' },
      context: { type: 'string' },
      truncate: { type: 'boolean' },
      json: { type: 'boolean' },
      adapter: { type: 'string', multiple: true },
      'with-base': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    log(HELP);
    return;
  }
  if (!values.model) throw new UsageError(`--model is required\n\n${HELP}`);
  if (values.prompt === undefined) throw new UsageError(`--prompt is required\n\n${HELP}`);
  const temperature = number('temperature', values.temperature, (n) => n >= 0);
  const sampling = {
    greedy: values.greedy || temperature === undefined || temperature === 0,
    temperature,
    topK: number('top-k', values['top-k'], (n) => Number.isInteger(n) && n >= 0),
    topP: number('top-p', values['top-p'], (n) => n > 0 && n <= 1),
    repetitionPenalty: number('repetition-penalty', values['repetition-penalty'], (n) => n > 0),
    seed: number('seed', values.seed, (n) => Number.isInteger(n) && n >= 0) ?? 0,
  };
  if (values.greedy && temperature !== undefined && temperature > 0) {
    throw new UsageError('--greedy and --temperature > 0 contradict each other; pick one');
  }
  const maxTokens = number('max-tokens', values['max-tokens'], (n) => Number.isInteger(n) && n > 0) ?? 128;
  const contextCap = number('context', values.context, (n) => Number.isInteger(n) && n > 0);

  const paths = values.adapter ?? [];
  if (paths.length > MAX_ADAPTER_SLOTS) {
    throw new UsageError(`${paths.length} adapters given; at most ${MAX_ADAPTER_SLOTS} continue one prompt together`);
  }
  const options: GenerateOptions = { ...sampling, maxTokens, stop: values.stop, overflow: values.truncate ? 'truncate' : 'error' };

  const loaded = await loadModelFromPath(values.model);
  try {
    const { tokenizer, config } = loaded;
    // Read and checked before the GPU is touched, so an adapter for another base is refused at once.
    const adapters: Column[] = [];
    if (values['with-base']) adapters.push({ label: 'base', path: null, adapter: null });
    for (const path of paths) {
      const { adapter } = await loadAdapterFromPath(path, { base: { config, name: loaded.name } });
      adapters.push({ label: path, path, adapter });
    }
    const prompt = values.chat
      ? chatPrompt(loaded.chatTemplate, tokenizer, values.prompt, values.system)
      : values.prompt;
    const promptIds = tokenizer.encode(prompt, values.chat ? { addBos: chatPromptBos(tokenizer, prompt) } : {});
    const ctx = await commandContext();
    // Closed on every way out, so a refused prompt leaves no buffers behind on the process's device.
    try {
      log(`webtune: ${loaded.name} — ${config.architecture}, ${config.numLayers} layers, vocab ${config.vocabSize}`);
      const uploaded = await uploadModel(ctx, loaded.weights);
      for (const c of adapters) if (c.adapter) log(`webtune: adapter ${c.path} — ${describeAdapter(c.adapter)}`);
      if (adapters.length <= 1) {
        await singleColumn(ctx, uploaded, adapters[0]?.adapter ?? null, tokenizer, promptIds, options, contextCap, values.json === true);
      } else {
        const results = await columns(ctx, uploaded, adapters, tokenizer, promptIds, options, contextCap);
        printColumns(adapters, results, values.json === true);
      }
    } finally {
      await ctx.close();
    }
  } finally {
    await closeModel(loaded);
  }
}

interface Column {
  label: string;
  path: string | null;
  adapter: AnyAdapter | null;
}

interface ColumnResult {
  result: GenerationResult;
  /** Whether it decoded in the batch (else in a pass of its own, for `ownPass`). */
  batched: boolean;
  ownPass?: string;
}

function describeAdapter(adapter: AnyAdapter): string {
  if (isPromptAdapter(adapter)) return `prompt tuning, ${adapter.config.virtualTokens} virtual tokens before the prompt`;
  if (isIa3Adapter(adapter)) {
    const c = adapter.config;
    return `IA³ on ${c.targets.join(',')}${c.feedforward.length ? ` (${c.feedforward.join(',')} on the input)` : ''}`;
  }
  const c = adapter.config;
  return `${c.useDora ? 'DoRA' : 'LoRA'} r ${c.r}, alpha ${c.alpha}${c.useRslora ? ' (rsLoRA)' : ''}, ${c.targets.join(',')}`;
}

/** One continuation, streamed as it is generated (the command's original form). */
async function singleColumn(
  ctx: Context,
  uploaded: UploadedModel,
  adapter: AnyAdapter | null,
  tokenizer: Parameters<typeof generate>[1],
  promptIds: number[],
  options: GenerateOptions,
  contextCap: number | undefined,
  json: boolean,
): Promise<void> {
  const model = new LlamaModel(ctx, uploaded.config, uploaded.weights, { invFreq: uploaded.invFreq, maxContext: contextCap });
  if (adapter) model.setAdapter(uploadAnyAdapter(ctx, adapter, uploaded.config).inference);
  await model.preparePipelines();
  let printed = '';
  const result = await generate(model, tokenizer, promptIds, options, (step) => {
    if (json) return;
    out(step.text.slice(printed.length));
    printed = step.text;
  });
  if (json) {
    out(`${JSON.stringify(resultJson(result))}\n`);
  } else {
    out(result.text.slice(printed.length));
    log(
      `\nwebtune: ${result.ids.length} tokens (${result.stopReason}); prefill ${result.prefillTokensPerSecond.toFixed(1)} tok/s, ` +
        `decode ${result.decodeTokensPerSecond.toFixed(1)} tok/s`,
    );
  }
}

/**
 * Every column: the base and the LoRA adapters in one batch (adapters in slots beside the one base), then each
 * adapter that cannot batch in its own pass. Results in the columns' order.
 */
async function columns(
  ctx: Context,
  uploaded: UploadedModel,
  list: readonly Column[],
  tokenizer: Parameters<typeof generate>[1],
  promptIds: number[],
  options: GenerateOptions,
  contextCap: number | undefined,
): Promise<ColumnResult[]> {
  const results = new Array<ColumnResult>(list.length);
  // Each column's cache holds the prompt and the tokens asked for (a batch's is N times one), unless --context says.
  const maxContext = contextCap ?? promptIds.length + options.maxTokens + 1;
  const inBatch = list.flatMap((c, i) => (c.adapter === null || batchable(c.adapter) ? [i] : []));
  if (inBatch.length > 0) {
    const { model, slots, dispose } = adapterBatch(ctx, uploaded, inBatch.map((i) => list[i].adapter), { maxContext });
    try {
      await model.preparePipelines();
      const batch = await generateBatch(model, tokenizer, promptIds, inBatch.map(() => options));
      inBatch.forEach((i, j) => (results[i] = { result: batch[j], batched: true }));
      const tokens = batch.reduce((s, r) => s + r.ids.length, 0);
      const rate = batch.reduce((s, r) => s + r.decodeTokensPerSecond, 0);
      log(
        `webtune: batched ${inBatch.length} columns (${slots.occupied.length} adapters in ${(slots.bytes / 2 ** 20).toFixed(2)} MiB of slots): ` +
          `${tokens} tokens, decode ${rate.toFixed(1)} tok/s in all`,
      );
    } finally {
      dispose();
    }
  }
  for (const [i, c] of list.entries()) {
    if (results[i]) continue;
    const adapter = c.adapter!;
    log(`webtune: ${c.label} runs in its own pass: ${ownPassReason(adapter)}`);
    const model = new LlamaModel(ctx, uploaded.config, uploaded.weights, { invFreq: uploaded.invFreq, maxContext });
    const gpu = uploadAnyAdapter(ctx, adapter, uploaded.config);
    try {
      model.setAdapter(gpu.inference);
      await model.preparePipelines();
      results[i] = { result: await generate(model, tokenizer, promptIds, options), batched: false, ownPass: ownPassReason(adapter) };
    } finally {
      model.dispose();
      releaseLoraAdapter(ctx, gpu);
    }
  }
  return results;
}

function resultJson(result: GenerationResult) {
  return {
    text: result.text,
    tokens: result.ids,
    promptTokens: result.promptTokens,
    stopReason: result.stopReason,
    prefillTokensPerSecond: result.prefillTokensPerSecond,
    decodeTokensPerSecond: result.decodeTokensPerSecond,
  };
}

function printColumns(list: readonly Column[], results: readonly ColumnResult[], json: boolean): void {
  if (json) {
    const rows = list.map((c, i) => ({
      label: c.label,
      adapter: c.path,
      batched: results[i].batched,
      ...(results[i].ownPass ? { ownPass: results[i].ownPass } : {}),
      ...resultJson(results[i].result),
    }));
    out(`${JSON.stringify(rows)}\n`);
    return;
  }
  list.forEach((c, i) => {
    const { result, batched } = results[i];
    out(`${i > 0 ? '\n' : ''}== ${c.label} ==\n${result.text}\n`);
    log(`webtune: ${c.label}: ${result.ids.length} tokens (${result.stopReason}), ${batched ? 'batched' : 'own pass'}, decode ${result.decodeTokensPerSecond.toFixed(1)} tok/s`);
  });
}
