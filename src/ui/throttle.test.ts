import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttleLatest } from './throttle';

describe('throttleLatest', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('applies the first value at once, then only the latest per interval', () => {
    const seen: number[] = [];
    const t = throttleLatest((v: number) => seen.push(v), 100);
    t.push(1);
    vi.advanceTimersByTime(0);
    expect(seen).toEqual([1]);
    for (let i = 2; i <= 20; i++) {
      t.push(i);
      vi.advanceTimersByTime(10);
    }
    // 190 ms after the first apply: one more at 100 ms (the latest value then), one pending.
    expect(seen).toEqual([1, 11]);
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([1, 11, 20]);
  });

  it('cancel drops a value that was waiting', () => {
    const seen: number[] = [];
    const t = throttleLatest((v: number) => seen.push(v), 100);
    t.push(1);
    vi.advanceTimersByTime(0);
    t.push(2);
    t.cancel();
    vi.advanceTimersByTime(500);
    expect(seen).toEqual([1]);
  });
});
