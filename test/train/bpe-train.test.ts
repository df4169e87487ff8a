import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClipTokenizer } from '../../src/text/index.ts';
import { mergesText, trainBpe, trainingCaptions } from '../../src/train/bpe-train.ts';

const captions = trainingCaptions(300);
const learned = trainBpe(captions);

test('the learned vocabulary has CLIP layout: 512 byte symbols, merges, then the two special tokens last', () => {
  const size = Object.keys(learned.vocab).length;
  assert.equal(learned.vocab['!'], 0);
  assert.equal(learned.vocab['!</w>'], 256);
  assert.equal(learned.vocab['<|startoftext|>'], size - 2);
  assert.equal(learned.vocab['<|endoftext|>'], size - 1);
  assert.ok(size > 512 + 50 && size <= 512 + 1000 + 2, `vocabulary of ${size} tokens`);
});

test('every caption word becomes a single token once its merges are learned', () => {
  const tokenizer = ClipTokenizer.fromVocabAndMerges(learned.vocab, learned.merges);
  const ids = tokenizer.tokenize('a small red striped ball and a blue cube on snow at sunset').ids;
  // bos + 13 words + eos, padded to 77
  assert.equal(ids[0], learned.vocab['<|startoftext|>']);
  assert.equal(ids[1], learned.vocab['a</w>']);
  assert.equal(ids[5], learned.vocab['ball</w>']);
  assert.equal(ids[14], learned.vocab['<|endoftext|>']);
});

test('text outside the captions still tokenizes through the byte fallback', () => {
  const tokenizer = ClipTokenizer.fromVocabAndMerges(learned.vocab, learned.merges);
  const ids = tokenizer.tokenize('zebra ünïcode 42').ids;
  assert.equal(ids[0], learned.vocab['<|startoftext|>']);
  assert.ok(ids.slice(1, 20).every((id) => id >= 0 && id < Object.keys(learned.vocab).length));
});

test('training is deterministic and merges.txt has the version header', () => {
  assert.deepEqual(trainBpe(captions).merges, learned.merges);
  const text = mergesText(learned.merges);
  assert.equal(text.split('\n')[0], '#version: 0.2');
  assert.equal(text.split('\n')[1], learned.merges[0]);
});

test('a negative merge count is rejected naming the option', () => {
  assert.throws(() => trainBpe(captions, { maxMerges: -1 }), /maxMerges -1/);
});
