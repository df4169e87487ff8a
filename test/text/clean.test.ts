import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanClipText, ftfyFixText } from '../../src/text/clean.ts';
import { mapIdentity, type MappedText } from '../../src/text/mapped-text.ts';

/** Each cleaned character with the raw text it came from. */
function sources(input: string, t: MappedText): string[] {
  return [...t.text].map((_, i) => input.slice(t.starts[i], t.ends[i]));
}

const clean = (s: string, mode: 'huggingface' | 'openai' = 'huggingface'): MappedText => cleanClipText(mapIdentity(s), mode);

test('mojibake is repaired and each repaired character maps to its mojibake run', () => {
  const input = 'cafÃ© â€œhiâ€\x9d';
  const t = clean(input);
  assert.equal(t.text, 'café "hi"');
  assert.deepEqual(sources(input, t), ['c', 'a', 'f', 'Ã©', ' ', 'â€œ', 'h', 'i', 'â€\x9d']);
});

test('legitimate accents are left alone (no false mojibake)', () => {
  for (const s of ['Ünïcödé àçcéñts naïve façade Zürich', 'crème brûlée', 'São Paulo, Ærøskøbing']) assert.equal(clean(s).text, s.toLowerCase());
});

test('ligatures, full-width forms, curly quotes and NFC composition are normalised like ftfy', () => {
  const input = 'ﬁne ＡＢＣ１ ‘q’ e\u0301';
  const t = ftfyFixText(mapIdentity(input));
  assert.equal(t.text, "fine ABC1 'q' é");
  assert.deepEqual(sources(input, t).slice(0, 2), ['ﬁ', 'ﬁ']);
  assert.equal(sources(input, t).at(-1), 'e\u0301');
});

test('entities: ftfy unescapes fully unless the line has a "<"; openai unescapes twice regardless', () => {
  assert.equal(clean('a &amp;amp; b').text, 'a & b');
  assert.equal(clean('<b> &amp;amp;').text, '<b> &amp;amp;');
  assert.equal(clean('<b> &amp;amp;', 'openai').text, '<b> &');
  assert.equal(clean('&#233;t&#xE9; &copy;').text, 'été ©');
});

test('whitespace collapses and lower-casing keeps offsets, also where lower-casing changes the length', () => {
  const input = '  İstanbul \t ΟΔΟΣ ';
  const t = clean(input);
  assert.equal(t.text, 'i\u0307stanbul οδος'); // final sigma, as Python's str.lower()
  // 'İ' lower-cases to two code units; both map back to the one input character.
  assert.deepEqual(sources(input, t).slice(0, 3), ['İ', 'İ', 's']);
  assert.equal(input.slice(t.starts[t.text.length - 1], t.ends[t.text.length - 1]), 'Σ');
});

test('plain ASCII prompts pass through ftfy untouched (fast path, same object)', () => {
  const m = mapIdentity('a photo of a cat, 4k');
  assert.equal(ftfyFixText(m), m);
});
