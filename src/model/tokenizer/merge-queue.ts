/**
 * The merge loop shared by SentencePiece-style and byte-level BPE: symbols sit in a linked list, candidate
 * adjacent pairs in a binary heap ordered by (priority, left position), and the best pair is merged until none is
 * left. Only how a pair is ranked differs: SPM ranks by the merged token's score, BPE by the merge's rank.
 * Stale heap entries (a side already merged into something longer) are recognised by their recorded lengths.
 */

interface Candidate {
  left: number;
  right: number;
  /** Lower merges first. */
  priority: number;
  /** symbols[left].length + symbols[right].length when queued; anything else means the entry is stale. */
  length: number;
}

function before(a: Candidate, b: Candidate): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.left < b.left);
}

class CandidateHeap {
  private readonly items: Candidate[] = [];

  get size(): number {
    return this.items.length;
  }

  push(c: Candidate): void {
    const items = this.items;
    items.push(c);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): Candidate {
    const items = this.items;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && before(items[l], items[best])) best = l;
        if (r < items.length && before(items[r], items[best])) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best], items[i]];
        i = best;
      }
    }
    return top;
  }
}

/**
 * Merges adjacent symbols while `priority(left, right)` gives a number (lower first, ties leftmost) and returns
 * the final symbols in order. `priority` returns undefined for a pair that may not merge.
 */
export function mergeSymbols(
  initial: readonly string[],
  priority: (left: string, right: string) => number | undefined,
): string[] {
  const symbols = [...initial];
  const n = symbols.length;
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const heap = new CandidateHeap();
  const consider = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const p = priority(symbols[left], symbols[right]);
    if (p !== undefined) {
      heap.push({ left, right, priority: p, length: symbols[left].length + symbols[right].length });
    }
  };
  for (let i = 0; i + 1 < n; i++) consider(i, i + 1);

  while (heap.size > 0) {
    const c = heap.pop();
    const left = symbols[c.left];
    const right = symbols[c.right];
    // A merged-away symbol is emptied, so a stale entry never matches its recorded length.
    if (!left || !right || next[c.left] !== c.right || left.length + right.length !== c.length) continue;
    symbols[c.left] = left + right;
    symbols[c.right] = '';
    const after = next[c.right];
    next[c.left] = after;
    if (after >= 0) prev[after] = c.left;
    consider(prev[c.left], c.left);
    consider(c.left, after);
  }

  const out: string[] = [];
  for (let i = n > 0 ? 0 : -1; i >= 0; i = next[i]) out.push(symbols[i]);
  return out;
}
