/**
 * Test support: `webtune <args>` in this process, through the CLI's own entry point (`main`, as bin/webtune.mjs
 * runs it), with both streams captured and the exit code; never rejects. Commands after the first reuse the
 * process's device and the pipelines it compiled (cli/command-device.ts), which a child process per command
 * (webtune-process.ts) cannot. One at a time: the capture replaces process.stdout and process.stderr's writes.
 */
import { main } from '../main';
import type { ProcessResult } from './webtune-process';

export async function webtuneMain(args: readonly string[]): Promise<ProcessResult> {
  const streams = { stdout: process.stdout, stderr: process.stderr };
  const text = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const name of ['stdout', 'stderr'] as const) {
    streams[name].write = ((chunk: string | Uint8Array) => {
      text[name] += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
      return true;
    }) as typeof process.stdout.write;
  }
  try {
    const code = await main([...args]);
    return { code, ...text };
  } finally {
    streams.stdout.write = writes.stdout;
    streams.stderr.write = writes.stderr;
  }
}
