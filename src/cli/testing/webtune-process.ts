/**
 * Test support: `webtune <args>` as a user runs it, a child process of bin/webtune.mjs (exit code and both
 * streams; never rejects), or any other command the tests check the outputs with (python3 -m py_compile).
 */
import { execFile } from 'node:child_process';

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runProcess(command: string, args: readonly string[]): Promise<ProcessResult> {
  return new Promise((resolve) => {
    execFile(command, [...args], { maxBuffer: 1 << 22 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

export function webtune(args: readonly string[]): Promise<ProcessResult> {
  return runProcess('node', ['bin/webtune.mjs', ...args]);
}
