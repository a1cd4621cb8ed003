/**
 * Keeps only the latest of a fast stream of values and applies it at most once per interval (the first at once),
 * so a worker posting every token re-renders the studio a few times a second, not hundreds.
 */
export interface LatestThrottle<T> {
  push(value: T): void;
  /** Drops a value still waiting; call when the stream ends (its final value is applied by other means). */
  cancel(): void;
}

export function throttleLatest<T>(apply: (value: T) => void, intervalMs: number): LatestThrottle<T> {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let waiting: { value: T } | null = null;
  const run = () => {
    timer = null;
    if (!waiting) return;
    const { value } = waiting;
    waiting = null;
    last = performance.now();
    apply(value);
  };
  return {
    push(value) {
      waiting = { value };
      if (timer) return;
      timer = setTimeout(run, Math.max(0, last + intervalMs - performance.now()));
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
      waiting = null;
    },
  };
}
