/**
 * Varied test strings: fixed hard cases plus seeded random mixtures of words, digits, punctuation, whitespace
 * runs, accents, CJK, emoji (ZWJ sequences, flags, skin tones), code, and characters where regex flavours differ.
 */
import { Random } from '../../../core/random';

export const HARD_CASES: readonly string[] = [
  'Once upon a time',
  '',
  ' ',
  '   leading and trailing   ',
  'Zürich, São Paulo, Kraków, naïve café, Ångström',
  'e\u0301 combining acute vs é precomposed',
  '漢字とひらがなとカタカナ、한국어, 中文标点：“引号”。',
  'family 👨‍👩‍👧‍👦, flag 🇫🇷, thumbs 👍🏽, heart ❤️, rainbow flag 🏳️‍🌈',
  'def f(x):\n\treturn x ** 2  # square\n\n\n\tif x:\n\t\tpass\r\n',
  'tabs\t\t\tand\u00a0nbsp\u2003em space\u3000ideographic',
  "I'm sure you've heard they'll say it's 'quoted' — DON'T",
  '12345678901234567890 3.14159 1,000,000 ١٢٣ ४५६',
  '\ufeffstarts with a BOM, has NEL\u0085here, and LS\u2028PS\u2029',
  'a\n\nb\n \n c \n\n\n',
  '<html><body class="x">&amp; &lt;tag&gt;</body></html>',
  'ünïcödé 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚 \u{10FFFF} \u{1F9D1}\u{200D}\u{1F4BB}',
  '!!!??? ... --- *** ~~~ ``` ',
];

const WORDS = ['the', 'The', ' cat', 'sat', 'on', 'mat', 'Lily', 'ball', 'running', "don't", 'x', 'y_z', 'fooBar'];
const PIECES = [
  ' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', '.', ',', '!', '?', '"', "'", '(', ')', '{', '}', '[', ']', ':',
  ';', '-', '—', '…', '0', '7', '42', '2024', '3.5', 'é', 'ü', 'ß', 'ñ', 'Ω', 'ж', 'Привет', 'مرحبا', 'שלום',
  'नमस्ते', '漢', '字', '日本語', '한', '😀', '👍🏽', '👨‍👩‍👧', '🇯🇵', '❤️', '\u00a0', '\u200b', '\ufeff', '\u0085',
  '\u3000', '𝔘', '\u0301', 'ｆｕｌｌ', '½', '©', '™', '\\', '/', '#', '@', '$', '%', '^', '&', '*', '=', '+', '<', '>',
  '|', '~', '`',
];

export function randomTexts(count: number, seed: number): string[] {
  const rng = new Random(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const parts: string[] = [];
    const length = 1 + rng.int(12);
    for (let j = 0; j < length; j++) {
      parts.push(rng.next() < 0.4 ? WORDS[rng.int(WORDS.length)] : PIECES[rng.int(PIECES.length)]);
    }
    out.push(parts.join(''));
  }
  return out;
}
