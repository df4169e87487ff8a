import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSceneText, tokenSpans } from '../../src/collage/index.ts';
import { ClipTokenizer } from '../../src/text/index.ts';
import { referencePath, referenceSkip } from '../support/reference.ts';

const skip = referenceSkip();
const load = () => ClipTokenizer.fromFiles(referencePath('clip-bpe/vocab.json'), referencePath('clip-bpe/merges.txt'));

function spansOf(tokenizer: ClipTokenizer, prompt: string, layers: { id: string; text: string }[], learned: Record<string, string> = {}) {
  const scene = resolveSceneText(prompt, layers.map((l) => ({ ...l, visible: true })), 'doc', new Map(Object.entries(learned)));
  assert.deepEqual(scene.problems, []);
  const tokens = tokenizer.tokenize(scene.text);
  const spans = tokenSpans(tokens, scene.ranges, 'doc');
  return { scene, tokens, spans: Object.fromEntries(spans.map((s) => [s.id, s.tokenIndices])) };
}

test('CLIP spans: one-token words get the hand-counted positions', { skip }, async () => {
  const tok = await load();
  const { spans } = spansOf(tok, 'a {car} next to {dog} on a beach', [{ id: 'car', text: 'a red car' }, { id: 'dog', text: 'a dog' }]);
  // BOS, a, [a red car], next, to, [a dog], on, a, beach
  assert.deepEqual(spans, { car: [2, 3, 4], dog: [7, 8] });
});

test('CLIP spans: punctuation and capitals, spans cover exactly the layer words', { skip }, async () => {
  const tok = await load();
  const prompt = 'A photo: a Corgi, sitting beside a vintage convertible!';
  const { scene, tokens, spans } = spansOf(tok, prompt, [{ id: 'dog', text: 'a corgi' }, { id: 'car', text: 'a vintage convertible' }]);
  for (const [id, indices] of Object.entries(spans)) {
    const range = scene.ranges.find((r) => r.id === id)!;
    const first = tokens.offsets[indices[0]!]!;
    const last = tokens.offsets[indices[indices.length - 1]!]!;
    assert.equal(scene.text.slice(first[0], last[1]), scene.text.slice(range.start, range.end), `${id} covers its words`);
    indices.forEach((j, k) => assert.equal(j, indices[0]! + k, 'contiguous'));
  }
  assert.deepEqual(spans['dog']!.slice(0, 1), [4], 'BOS, a, photo, :, then a corgi');
});

test('CLIP spans: a learned token inserted before the words is one token of the span', { skip }, async () => {
  const tok = await load();
  const [carId] = tok.addTokens(['<car>']);
  const { scene, tokens, spans } = spansOf(tok, 'a red car on a road', [{ id: 'car', text: 'a red car' }], { car: '<car>' });
  assert.equal(scene.text, '<car> a red car on a road');
  assert.deepEqual(spans, { car: [1, 2, 3, 4] });
  assert.equal(tokens.ids[1], carId);
});

test('CLIP spans: a prompt over 75 tokens names the words that fall off', { skip }, async () => {
  const tok = await load();
  const prompt = `${'very '.repeat(74)}red car`;
  const scene = resolveSceneText(prompt, [{ id: 'car', text: 'red car', visible: true }], 'doc');
  assert.throws(() => tokenSpans(tok.tokenize(scene.text), scene.ranges, 'doc'), /these words fall off: "car"/);
});
