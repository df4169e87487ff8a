import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipTokenizer } from '../../src/text/tokenizer.ts';
import { referencePath, referenceSkip } from '../support/reference.ts';

interface Sentence {
  text: string;
  openai_simple_tokenizer_ids: number[];
  openai_decode: string;
  hf_clip_tokenizer_ids_unpadded: number[];
  hf_clip_tokenizer_ids_padded77: number[];
  hf_matches_openai: boolean;
}

const skip = referenceSkip();
const sentences = (): Sentence[] =>
  (JSON.parse(readFileSync(referencePath('diffusers/tokenizer/clip_tokenizations.json'), 'utf8')) as { sentences: Sentence[] }).sentences;
const hfTokenizer = (): Promise<ClipTokenizer> => ClipTokenizer.fromFiles(referencePath('clip-bpe/vocab.json'), referencePath('clip-bpe/merges.txt'));
const openaiTokenizer = (): Promise<ClipTokenizer> => ClipTokenizer.fromBpeGz(referencePath('clip-bpe/bpe_simple_vocab_16e6.txt.gz'), { textCleanup: 'openai' });

/** The slices of `text` each token covers. */
function pieces(text: string, offsets: readonly (readonly [number, number])[]): string[] {
  return offsets.map(([s, e]) => text.slice(s, e));
}

test('all 21 fixture sentences match openai simple_tokenizer ids and decode (bpe_simple_vocab_16e6.txt.gz, openai clean-up)', { skip }, async () => {
  const tok = await openaiTokenizer();
  assert.equal(tok.vocabSize, 49408);
  const all = sentences();
  assert.equal(all.length, 21);
  for (const s of all) {
    const { ids } = tok.encode(s.text);
    assert.deepEqual(ids, s.openai_simple_tokenizer_ids, s.text);
    assert.equal(tok.decode(ids), s.openai_decode, s.text);
  }
});

test('all 21 fixture sentences match transformers CLIPTokenizer padded to 77 (vocab.json + merges.txt)', { skip }, async () => {
  const tok = await hfTokenizer();
  assert.deepEqual([tok.bosId, tok.eosId, tok.padId, tok.maxLength, tok.vocabSize], [49406, 49407, 49407, 77, 49408]);
  for (const s of sentences()) {
    const t = tok.tokenize(s.text);
    assert.deepEqual(t.ids, s.hf_clip_tokenizer_ids_padded77, s.text);
    assert.equal(t.tokenCount, Math.min(77, s.hf_clip_tokenizer_ids_unpadded.length), s.text);
    assert.equal(t.offsets.length, 77);
  }
});

test('the gz vocabulary with huggingface clean-up equals vocab.json + merges.txt on every sentence', { skip }, async () => {
  const fromGz = await ClipTokenizer.fromBpeGz(referencePath('clip-bpe/bpe_simple_vocab_16e6.txt.gz'));
  for (const s of sentences()) assert.deepEqual(fromGz.tokenize(s.text).ids, s.hf_clip_tokenizer_ids_padded77, s.text);
});

test('the one HF/openai mismatch is the html clean-up option: "&amp;amp;" next to a "<" tag', { skip }, async () => {
  // ftfy (both) skips html unescaping in text containing '<'; openai then html.unescapes twice anyway.
  const mismatch = sentences().filter((s) => !s.hf_matches_openai);
  assert.equal(mismatch.length, 1);
  const s = mismatch[0]!;
  const hf = await hfTokenizer();
  const oa = await openaiTokenizer();
  assert.deepEqual(hf.encode(s.text).ids, s.hf_clip_tokenizer_ids_unpadded.slice(1, -1));
  assert.deepEqual(oa.encode(s.text).ids, s.openai_simple_tokenizer_ids);
  assert.notDeepEqual(hf.encode(s.text).ids, oa.encode(s.text).ids);
  // Offsets still point into the raw text: openai's '&' covers the whole "&amp;amp;" entity.
  const { offsets } = oa.encode(s.text);
  assert.equal(s.text.slice(...offsets[3]!), '&amp;amp;');
});

test('offsets cover punctuation and repeated words, each occurrence its own range', { skip }, async () => {
  const tok = await hfTokenizer();
  const text = 'A cat, a CAT and a cat!';
  const { offsets } = tok.encode(text);
  assert.deepEqual(offsets, [[0, 1], [2, 5], [5, 6], [7, 8], [9, 12], [13, 16], [17, 18], [19, 22], [22, 23]]);
  assert.deepEqual(pieces(text, offsets), ['A', 'cat', ',', 'a', 'CAT', 'and', 'a', 'cat', '!']);
});

test('offsets of digits are one per digit, decimals split at the point', { skip }, async () => {
  const tok = await hfTokenizer();
  const text = 'numbers 0 1 12 3.14';
  assert.deepEqual(pieces(text, tok.encode(text).offsets), ['numbers', '0', '1', '1', '2', '3', '.', '1', '4']);
});

test('offsets of accented words cover whole characters, even when a BPE token splits the UTF-8 bytes', { skip }, async () => {
  const tok = await hfTokenizer();
  const text = 'Ünïcödé naïve';
  assert.deepEqual(pieces(text, tok.encode(text).offsets), ['Ü', 'n', 'ï', 'c', 'ö', 'd', 'é', 'na', 'ï', 've']);
  const brulee = "the café's crème brûlée";
  // 'û' is two UTF-8 bytes that BPE keeps in two tokens: both point at the same character.
  assert.deepEqual(pieces(brulee, tok.encode(brulee).offsets), ['the', 'café', "'s", 'cr', 'è', 'me', 'br', 'û', 'û', 'l', 'ée']);
});

test('offsets point into the raw text through whitespace collapse, entities, mojibake repair and emoji', { skip }, async () => {
  const tok = await hfTokenizer();
  const cases: [string, string[]][] = [
    ['  Hello    world\tand\nnewlines ', ['Hello', 'world', 'and', 'new', 'lines']],
    ['html &amp; &quot;q&quot;', ['html', '&amp;', '&quot;', 'q', '&quot;']],
    ['mojibake: cafÃ© and â€œsmart', ['mo', 'ji', 'bake', ':', 'cafÃ©', 'and', 'â€œ', 'smart']],
    ['emoji 🐱 ❤️', ['emoji', '🐱', '❤️']],
  ];
  for (const [text, want] of cases) assert.deepEqual(pieces(text, tok.encode(text).offsets), want, text);
});

test('a prompt over 75 tokens is cut to 77 ids and reports the text that fell off', { skip }, async () => {
  const tok = await hfTokenizer();
  const text = 'a very long prompt ' + Array.from({ length: 40 }, (_, i) => `word${i} detail${i}`).join(' ');
  const t = tok.tokenize(text);
  assert.equal(t.tokenCount, 77);
  assert.equal(t.ids[76], tok.eosId);
  // Token 75 ("word" of word15) is the last kept; its digits are the first to fall off.
  assert.equal(text.slice(...t.offsets[75]!), 'word');
  assert.ok(t.truncated.startsWith('15 detail15 word16'), t.truncated);
  assert.ok(t.truncated.endsWith('detail39'));
  assert.equal(tok.tokenize('a photo of a cat').truncated, '');
});

test('padding uses the folder pad token: "!" (id 0) for an SD 2.x tokenizer_config.json', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenizer-test-'));
  try {
    symlinkSync(referencePath('clip-bpe/vocab.json'), join(dir, 'vocab.json'));
    symlinkSync(referencePath('clip-bpe/merges.txt'), join(dir, 'merges.txt'));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ pad_token: { content: '!', lstrip: false }, model_max_length: 77 }));
    const tok = await ClipTokenizer.fromFolder(dir);
    assert.equal(tok.padId, 0);
    const t = tok.tokenize('a photo of a cat');
    assert.deepEqual(t.ids.slice(0, 8), [49406, 320, 1125, 539, 320, 2368, 49407, 0]);
    assert.equal(t.ids.length, 77);
    assert.deepEqual(tok.tokenize('a cat', { pad: false }).ids, [49406, 320, 2368, 49407]);
    assert.deepEqual(tok.tokenize('a cat', { length: 6 }).ids, [49406, 320, 2368, 49407, 0, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('added tokens get ids after the vocabulary, are matched before BPE and carry offsets', { skip }, async () => {
  const tok = await hfTokenizer();
  assert.deepEqual(tok.addTokens(['<car>', '<red-style>']), [49408, 49409]);
  assert.deepEqual(tok.addTokens(['<car>']), [49408]);
  assert.equal(tok.vocabSize, 49410);
  const text = 'a <car> in <red-style>, <car>s';
  const { ids, offsets } = tok.encode(text);
  assert.deepEqual(ids, [320, 49408, 530, 49409, 267, 49408, 338]);
  assert.deepEqual(pieces(text, offsets), ['a', '<car>', 'in', '<red-style>', ',', '<car>', 's']);
  assert.equal(tok.decode([320, 49408]), 'a <car>');
});

test('a tokenizer built in memory from a tiny vocabulary merges by rank', () => {
  const base = ['a', 'b', 'c', 'a</w>', 'b</w>', 'c</w>'];
  const vocab: Record<string, number> = {};
  [...base, 'ab', 'abc</w>', '<|startoftext|>', '<|endoftext|>', '!'].forEach((t, i) => (vocab[t] = i));
  const tok = ClipTokenizer.fromVocabAndMerges(vocab, ['a b', 'ab c</w>'], { padToken: '!' });
  // 'ab' at a word end is a + b</w>: the merge 'a b' does not apply to b</w>.
  assert.deepEqual(tok.encode('ABC ab ca').ids, [7, 0, 4, 2, 3]);
  assert.deepEqual(tok.tokenize('abc', { length: 5 }).ids, [8, 7, 9, 10, 10]);
  assert.equal(tok.decode([7, 0, 4]), 'abc ab ');
});

test('a tokenizer folder with added_tokens.json gets those tokens at their ids; a gap is a ModelError', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenizer-added-'));
  try {
    symlinkSync(referencePath('clip-bpe/vocab.json'), join(dir, 'vocab.json'));
    symlinkSync(referencePath('clip-bpe/merges.txt'), join(dir, 'merges.txt'));
    writeFileSync(join(dir, 'added_tokens.json'), JSON.stringify({ '<|endoftext|>': 49407, 'straße-style': 49409, '<cat-toy>': 49408 }));
    const tok = await ClipTokenizer.fromFolder(dir);
    assert.equal(tok.vocabSize, 49410);
    const { ids } = tok.encode('a <cat-toy> in straße-style');
    assert.deepEqual(ids, [320, 49408, 530, 49409]);
    assert.equal(tok.decode(ids), 'a <cat-toy>in straße-style');
    writeFileSync(join(dir, 'added_tokens.json'), JSON.stringify({ '<cat-toy>': 49500 }));
    await assert.rejects(ClipTokenizer.fromFolder(dir), (e: unknown) => e instanceof Error && e.name === 'ModelError' && e.message.includes('added_tokens.json') && e.message.includes('49408'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
