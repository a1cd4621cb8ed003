/**
 * `webtune <command> [options]`: a thin front over the same modules the studio uses.
 * Exit codes: 0 done, 1 the work failed (bad file, bad model, GPU error), 2 bad usage.
 */
import { runData } from './data';
import { runEval } from './eval';
import { runExport } from './export';
import { runHandoff } from './handoff';
import { runGenerate } from './generate';
import { runTrain } from './train';
import { log, UsageError } from './output';

const COMMANDS: Record<string, { run: (args: string[]) => Promise<void>; summary: string }> = {
  generate: { run: runGenerate, summary: 'continue a prompt with a model (GGUF file or Hugging Face folder)' },
  train: { run: runTrain, summary: 'fine-tune a LoRA adapter on a dataset (LoRA or QLoRA)' },
  eval: { run: runEval, summary: 'mean loss and perplexity of a model (and adapter) on a dataset' },
  export: { run: runExport, summary: 'a model with an adapter merged in, as GGUF (F16, Q8_0, Q4_0, Q4_K) or a Hugging Face folder' },
  handoff: { run: runHandoff, summary: 'a run as an Axolotl config, a TRL script and its dataset split, to continue on a cluster' },
  data: { run: runData, summary: 'what a dataset file gives: shape, columns, bad rows, tokens, lengths, split' },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: webtune <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'webtune <command> --help' for its options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    log(`webtune: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      log(`webtune ${name}: ${error.message}`);
      return 2;
    }
    log(`webtune ${name}: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.WEBTUNE_DEBUG && error instanceof Error && error.stack) log(error.stack);
    return 1;
  }
}
