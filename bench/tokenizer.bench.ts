// Tokenizations per second of typical prompts (issue 3 target ≥ 100k/s on 2 cores); the per-word BPE cache is the point.
import { existsSync } from 'node:fs';
import { ClipTokenizer } from '../src/text/index.ts';
import { REFERENCE_DIR, referencePath } from '../test/support/reference.ts';
import type { Bench, BenchRow } from './table.ts';

const PROMPTS = [
  'a photo of a cat',
  'an astronaut riding a horse on mars, 4k, trending on artstation',
  'A painting of a squirrel eating a burger',
  'portrait of a woman, (masterpiece:1.2), [blurry], highly detailed',
  'photo, 8k uhd, dslr, soft lighting, high quality, film grain, Fujifilm XT3',
  'a red sports car parked in front of a modern glass house at sunset',
  'a bowl of ramen on a wooden table, steam, studio lighting',
  'a cozy cabin in a snowy forest, warm light in the windows, night',
];

function rate(tok: ClipTokenizer, rounds: number): number {
  const t0 = performance.now();
  let sink = 0;
  for (let r = 0; r < rounds; r++) for (const p of PROMPTS) sink += tok.tokenize(p).tokenCount;
  const seconds = (performance.now() - t0) / 1000;
  if (sink === 0) throw new Error('no tokens');
  return (rounds * PROMPTS.length) / seconds;
}

export const bench: Bench = {
  name: 'tokenizer',
  async run(): Promise<readonly BenchRow[]> {
    if (!existsSync(referencePath('clip-bpe/vocab.json'))) {
      console.error(`tokenizer bench skipped: no CLIP vocabulary under ${REFERENCE_DIR}`);
      return [];
    }
    const tok = await ClipTokenizer.fromFiles(referencePath('clip-bpe/vocab.json'), referencePath('clip-bpe/merges.txt'));
    const cold = rate(tok, 1);
    rate(tok, 2000); // warm-up: JIT and cache
    const warm = Math.max(rate(tok, 20000), rate(tok, 20000));
    return [
      { name: 'CLIP tokenize, 8 typical prompts → 77 ids (cached BPE)', value: warm, unit: 'tokenizations/s', ratio: warm / 100_000, note: 'vs target 100k/s' },
      { name: 'CLIP tokenize, first pass (cold BPE cache, cold JIT)', value: cold, unit: 'tokenizations/s' },
    ];
  },
};
