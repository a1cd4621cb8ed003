/**
 * The layout of src/shaders: kernels are named `<op>_<forward|backward>[_variant].wgsl` (CONVENTIONS.md); every
 * other file is a shared piece that launchers splice into kernels (splice.ts). No file is left unused.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SHADERS = join(__dirname, '../../shaders');
const GPU = join(__dirname, '..');
const KERNEL_NAME = /^[a-z0-9]+(_[a-z0-9]+)*?_(forward|backward|update)(_[a-z0-9]+)*\.wgsl$/;

function sourcesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name))
    .map((path) => ({ path, text: readFileSync(path, 'utf8') }));
}

describe('src/shaders', () => {
  const files = readdirSync(SHADERS).filter((f) => f.endsWith('.wgsl'));
  const sources = sourcesUnder(GPU);
  const importers = (file: string) => sources.filter((s) => s.text.includes(`shaders/${file}?raw'`));

  it.each(files)('%s is imported by the engine', (file) => {
    expect(importers(file).map((s) => s.path)).not.toEqual([]);
  });

  it.each(files.filter((f) => !KERNEL_NAME.test(f)))('%s, not named as a kernel, is a piece spliced in', (file) => {
    expect(importers(file).some((s) => s.text.includes('spliceWgsl('))).toBe(true);
    // A piece states what it needs from the kernels that splice it in.
    expect(readFileSync(join(SHADERS, file), 'utf8')).toMatch(/Contract with the kernel|Contract with the kernels/);
  });
});
