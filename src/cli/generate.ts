/**
 * `webtune generate`: continue a prompt with a model. stdout gets only the generated continuation
 * (or, with --json, one JSON object); progress and notices go to stderr.
 */
import { parseArgs } from 'node:util';
import { GpuContext } from '../gpu/context';
import { acquireNodeDevice } from '../gpu/device-node';
import { LlamaModel } from '../gpu/model/llama';
import { uploadModel } from '../gpu/model/upload';
import { generate } from '../generate/generate';
import { uploadAnyAdapter } from '../adapters/gpu-adapter';
import { isIa3Adapter, isPromptAdapter } from '../adapters/any-adapter';
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
  --adapter PATH          apply a LoRA adapter: a PEFT folder (adapter_config.json + adapter_model.safetensors),
                          its adapter_model.safetensors, or a llama.cpp GGUF LoRA (adapter.gguf)
  --json                  print one JSON object: text, token ids, prefill/decode tokens/s
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
      adapter: { type: 'string' },
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

  const loaded = await loadModelFromPath(values.model);
  try {
    const { tokenizer, config } = loaded;
    // Read and checked before the GPU is touched, so an adapter for another base is refused at once.
    const adapter = values.adapter
      ? (await loadAdapterFromPath(values.adapter, { base: { config, name: loaded.name } })).adapter
      : null;
    const prompt = values.chat
      ? chatPrompt(loaded.chatTemplate, tokenizer, values.prompt, values.system)
      : values.prompt;
    const promptIds = tokenizer.encode(prompt, values.chat ? { addBos: chatPromptBos(tokenizer, prompt) } : {});
    const acquired = await acquireNodeDevice();
    if (acquired.report.notice) log(`webtune: ${acquired.report.notice}`);
    const ctx = GpuContext.fromAcquired(acquired);
    // The device is destroyed on every way out, or a refused prompt would leave it (and the process) alive.
    try {
      log(`webtune: ${loaded.name} — ${config.architecture}, ${config.numLayers} layers, vocab ${config.vocabSize}`);
      const uploaded = await uploadModel(ctx, loaded.weights);
      const model = new LlamaModel(ctx, uploaded.config, uploaded.weights, {
        invFreq: uploaded.invFreq,
        maxContext: contextCap,
      });
      if (adapter) {
        model.setAdapter(uploadAnyAdapter(ctx, adapter, config).inference);
        if (isPromptAdapter(adapter)) {
          log(`webtune: adapter ${values.adapter} — prompt tuning, ${adapter.config.virtualTokens} virtual tokens before the prompt`);
        } else if (isIa3Adapter(adapter)) {
          const c = adapter.config;
          log(`webtune: adapter ${values.adapter} — IA³ on ${c.targets.join(',')}${c.feedforward.length ? ` (${c.feedforward.join(',')} on the input)` : ''}`);
        } else {
          const c = adapter.config;
          log(`webtune: adapter ${values.adapter} — r ${c.r}, alpha ${c.alpha}${c.useRslora ? ' (rsLoRA)' : ''}, ${c.targets.join(',')}`);
        }
      }
      await model.preparePipelines();
      let printed = '';
      const result = await generate(
        model,
        tokenizer,
        promptIds,
        { ...sampling, maxTokens, stop: values.stop, overflow: values.truncate ? 'truncate' : 'error' },
        (step) => {
          if (values.json) return;
          out(step.text.slice(printed.length));
          printed = step.text;
        },
      );
      if (values.json) {
        out(
          `${JSON.stringify({
            text: result.text,
            tokens: result.ids,
            promptTokens: result.promptTokens,
            stopReason: result.stopReason,
            prefillTokensPerSecond: result.prefillTokensPerSecond,
            decodeTokensPerSecond: result.decodeTokensPerSecond,
          })}\n`,
        );
      } else {
        out(result.text.slice(printed.length));
        log(
          `\nwebtune: ${result.ids.length} tokens (${result.stopReason}); prefill ${result.prefillTokensPerSecond.toFixed(1)} tok/s, ` +
            `decode ${result.decodeTokensPerSecond.toFixed(1)} tok/s`,
        );
      }
    } finally {
      ctx.destroy();
    }
  } finally {
    await closeModel(loaded);
  }
}
