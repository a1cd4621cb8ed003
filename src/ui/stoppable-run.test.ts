import { describe, expect, it } from 'vitest';
import { StoppableRun } from './stoppable-run';

/** A task that waits until released, so a test can act while it runs. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('StoppableRun', () => {
  it('aborts the running task once and tells the store once', async () => {
    const runs = new StoppableRun();
    const g = gate();
    let signal: AbortSignal | null = null;
    const done = runs.run(async (s) => {
      signal = s;
      await g.opened;
    }, () => {});
    expect(runs.running).toBe(true);
    let told = 0;
    runs.stop(() => told++);
    runs.stop(() => told++);
    expect(signal!.aborted).toBe(true);
    expect(told).toBe(1);
    g.open();
    await done;
    expect(runs.running).toBe(false);
    runs.stop(() => told++);
    expect(told).toBe(1);
  });

  it('passes a failure on only while its run is still the current one', async () => {
    const runs = new StoppableRun();
    const first = gate();
    const failures: unknown[] = [];
    let firstCurrent: (() => boolean) | null = null;
    const older = runs.run(async (_, isCurrent) => {
      firstCurrent = isCurrent;
      await first.opened;
      throw new Error('older');
    }, (e) => failures.push(e));
    // A newer run replaces it before it fails.
    const newer = runs.run(async () => {
      throw new Error('newer');
    }, (e) => failures.push(e));
    await newer;
    expect(firstCurrent!()).toBe(false);
    first.open();
    await older;
    expect(failures.map((e) => (e as Error).message)).toEqual(['newer']);
    expect(runs.running).toBe(false);
  });
});
