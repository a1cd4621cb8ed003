/**
 * Cuts text at special-token strings before the model's own algorithm sees it, so "<|im_end|>" typed into a
 * prompt becomes one id (as Hugging Face's added tokens and llama.cpp's special-token partition both do).
 * Longest match wins where two candidates start at the same place.
 */

export type Fragment = { kind: 'text'; text: string } | { kind: 'token'; id: number };

export class SpecialSplitter {
  private readonly pattern: RegExp | null;

  constructor(private readonly specials: ReadonlyMap<string, number>) {
    const strings = [...specials.keys()].filter((s) => s.length > 0);
    strings.sort((a, b) => b.length - a.length);
    this.pattern = strings.length > 0 ? new RegExp(strings.map(escapeRegExp).join('|'), 'gu') : null;
  }

  split(text: string): Fragment[] {
    if (!this.pattern) return text ? [{ kind: 'text', text }] : [];
    const out: Fragment[] = [];
    let last = 0;
    for (const m of text.matchAll(this.pattern)) {
      if (m.index > last) out.push({ kind: 'text', text: text.slice(last, m.index) });
      out.push({ kind: 'token', id: this.specials.get(m[0])! });
      last = m.index + m[0].length;
    }
    if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
    return out;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
