import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CollageError } from '../../src/errors.ts';
import { attentionCoefficients, resolveSceneText, tokenSpans } from '../../src/collage/index.ts';
import { CLIP_CONTEXT_LENGTH } from '../../src/text/index.ts';
import { fakeTokenizer } from './fake-tokenizer.ts';

interface Case {
  readonly name: string;
  readonly prompt: string;
  readonly layers: readonly { id: string; text: string; visible?: boolean }[];
  readonly learned?: Readonly<Record<string, string>>;
  readonly expect: Readonly<Record<string, readonly number[]>>;
  readonly text?: string;
}

const car = { id: 'car', text: 'a red vintage car' };
const dog = { id: 'dog', text: 'a corgi' };

// Token positions by hand: the fake tokenizer gives one token per word / digit / punctuation run, BOS at 0.
const CASES: readonly Case[] = [
  { name: 'placeholders', prompt: 'a {car} parked next to {dog} on a beach', layers: [car, dog], expect: { car: [2, 3, 4, 5], dog: [9, 10] }, text: 'a a red vintage car parked next to a corgi on a beach' },
  { name: 'verbatim texts', prompt: 'a red vintage car parked next to a corgi', layers: [car, dog], expect: { car: [1, 2, 3, 4], dog: [8, 9] } },
  { name: 'repeated words go to the first unclaimed occurrence', prompt: 'a dog and a dog', layers: [{ id: 'd1', text: 'a dog' }, { id: 'd2', text: 'a dog' }], expect: { d1: [1, 2], d2: [4, 5] } },
  { name: 'a text that is a prefix of another, longer first in the prompt', prompt: 'a dog house next to a dog', layers: [{ id: 'dog', text: 'a dog' }, { id: 'house', text: 'a dog house' }], expect: { dog: [6, 7], house: [1, 2, 3] } },
  { name: 'a text that is a prefix of another, shorter first in the prompt', prompt: 'a dog next to a dog house', layers: [{ id: 'dog', text: 'a dog' }, { id: 'house', text: 'a dog house' }], expect: { dog: [1, 2], house: [5, 6, 7] } },
  { name: 'punctuation between layers stays global', prompt: 'a cat, a hat.', layers: [{ id: 'cat', text: 'a cat' }, { id: 'hat', text: 'a hat' }], expect: { cat: [1, 2], hat: [4, 5] } },
  { name: 'punctuation inside a layer text', prompt: 'a photo of sunset, beach!', layers: [{ id: 'sb', text: 'sunset, beach' }], expect: { sb: [4, 5, 6] } },
  { name: 'learned token with a placeholder', prompt: 'a {car} on a road', layers: [{ id: 'car', text: 'a red car' }], learned: { car: '<car>' }, expect: { car: [2, 3, 4, 5] }, text: 'a <car> a red car on a road' },
  { name: 'learned token with a verbatim text', prompt: 'a red car on a road', layers: [{ id: 'car', text: 'a red car' }], learned: { car: '<car>' }, expect: { car: [1, 2, 3, 4] }, text: '<car> a red car on a road' },
  { name: 'word boundaries: "cat" is not inside "caterpillar"', prompt: 'a caterpillar and a cat', layers: [{ id: 'cat', text: 'cat' }], expect: { cat: [5] } },
  { name: 'matching ignores case', prompt: 'A Red Car', layers: [{ id: 'car', text: 'a red car' }], expect: { car: [1, 2, 3] } },
  { name: 'hidden layers get no span', prompt: 'a car and a dog', layers: [{ id: 'car', text: 'a car' }, { id: 'dog', text: 'a dog', visible: false }], expect: { car: [1, 2] } },
  { name: 'a hidden layer placeholder keeps its words', prompt: '{car} and {dog}', layers: [{ id: 'car', text: 'a car' }, { id: 'dog', text: 'a dog', visible: false }], expect: { car: [1, 2] }, text: 'a car and a dog' },
  { name: 'placeholders and verbatim texts mixed', prompt: '{car} near a tree', layers: [{ id: 'car', text: 'a car' }, { id: 'tree', text: 'a tree' }], expect: { car: [1, 2], tree: [4, 5] } },
  { name: 'a placeholder used twice: the first use is the span', prompt: '{dog} and {dog}', layers: [{ id: 'dog', text: 'a dog' }], expect: { dog: [1, 2] } },
  { name: 'same-length texts claim in layer order', prompt: 'a man with a hat and a man', layers: [{ id: 'man1', text: 'a man' }, { id: 'hat', text: 'a hat' }, { id: 'man2', text: 'a man' }], expect: { man1: [1, 2], hat: [4, 5], man2: [7, 8] } },
  { name: 'digits', prompt: '2 cats on 1 sofa', layers: [{ id: 'cats', text: '2 cats' }, { id: 'sofa', text: '1 sofa' }], expect: { cats: [1, 2], sofa: [4, 5] } },
  { name: 'learned tokens for two layers', prompt: '{a} and {b}', layers: [{ id: 'a', text: 'a cat' }, { id: 'b', text: 'a dog' }], learned: { a: '<a>', b: '<b>' }, expect: { a: [1, 2, 3], b: [5, 6, 7] }, text: '<a> a cat and <b> a dog' },
  { name: 'a layer at the end before punctuation', prompt: 'look: a bird!', layers: [{ id: 'bird', text: 'a bird' }], expect: { bird: [3, 4] } },
  { name: 'non-ASCII words', prompt: 'un café au lait', layers: [{ id: 'cafe', text: 'café' }], expect: { cafe: [2] } },
];

for (const c of CASES) {
  test(`spans: ${c.name}`, () => {
    const layers = c.layers.map((l) => ({ id: l.id, text: l.text, visible: l.visible ?? true }));
    const scene = resolveSceneText(c.prompt, layers, 'doc.collage.json', new Map(Object.entries(c.learned ?? {})));
    assert.deepEqual(scene.problems, []);
    if (c.text !== undefined) assert.equal(scene.text, c.text);
    const spans = tokenSpans(fakeTokenizer.tokenize(scene.text), scene.ranges, 'doc.collage.json');
    assert.deepEqual(Object.fromEntries(spans.map((s) => [s.id, s.tokenIndices])), c.expect);
  });
}

test('a layer text that appears nowhere is a problem naming the layer and the fix', () => {
  const scene = resolveSceneText('a beach at sunset', [{ id: 'car', text: 'a red car', visible: true }], 'doc.collage.json');
  assert.equal(scene.problems.length, 1);
  assert.match(scene.problems[0]!.what, /"a red car" of layer "car" appears nowhere/);
  assert.equal(scene.problems[0]!.where, 'doc.collage.json → layers[0].text');
  assert.match(scene.problems[0]!.fix ?? '', /\{car\}/);
});

test('an unknown placeholder is a problem listing the known ids', () => {
  const scene = resolveSceneText('a {cra} on a road', [{ id: 'car', text: 'a car', visible: true }], 'd');
  assert.match(scene.problems[0]!.what, /placeholder \{cra\} names no layer/);
  assert.match(scene.problems[0]!.fix ?? '', /\{car\}/);
});

test('a prompt over 75 tokens is an error naming the words that fall off', () => {
  const words = Array.from({ length: 74 }, (_, i) => `w${'x'.repeat(i % 3)}`).join(' ');
  const text = `${words} a red car parked here`;
  const scene = resolveSceneText(text, [{ id: 'car', text: 'a red car', visible: true }], 'doc');
  assert.throws(
    () => tokenSpans(fakeTokenizer.tokenize(scene.text), scene.ranges, 'doc'),
    (e: unknown) => e instanceof CollageError && /over the text encoder's 75 tokens; these words fall off: "red car parked here"/.test(e.message),
  );
});

test('coefficients are w+·m − w−·(1 − m) on span tokens and 0 elsewhere', () => {
  const mask = Float32Array.from([1, 0.5, 0, 0.25]);
  const a = attentionCoefficients([{ span: { id: 'car', tokenIndices: [2, 3] }, positive: 0.4, negative: 0.8, mask }], 4);
  assert.equal(a.length, 4 * CLIP_CONTEXT_LENGTH);
  const at = (p: number, j: number): number => a[p * CLIP_CONTEXT_LENGTH + j]!;
  assert.ok(Math.abs(at(0, 2) - 0.4) < 1e-6);
  assert.ok(Math.abs(at(1, 3) - (0.2 - 0.4)) < 1e-6);
  assert.ok(Math.abs(at(2, 2) + 0.8) < 1e-6);
  assert.ok(Math.abs(at(3, 3) - (0.1 - 0.6)) < 1e-6);
  assert.equal(at(0, 0), 0);
  assert.equal(at(0, 1), 0);
  assert.equal(at(0, 4), 0);
});
