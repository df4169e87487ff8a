// A word-level stand-in for the CLIP tokenizer with the same TokenizedText contract: one token per word,
// digit, learned token (<...>) or punctuation run; BOS at 0, EOS after the text, padding to 77.
import type { TextTokenizer, TokenizedText } from '../../src/collage/index.ts';

const PIECE = /<[^<>\s]+>|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/gu;
export const BOS = 49406;
export const EOS = 49407;

export const fakeTokenizer: TextTokenizer = {
  tokenize(text: string): TokenizedText {
    const pieces = [...text.matchAll(PIECE)].map((m) => [m.index, m.index + m[0].length] as const);
    const kept = pieces.slice(0, 75);
    const ids = [BOS, ...kept.map((_, i) => 1000 + i), EOS];
    const offsets: (readonly [number, number])[] = [[0, 0], ...kept, [0, 0]];
    while (ids.length < 77) {
      ids.push(EOS);
      offsets.push([0, 0]);
    }
    const cut = pieces[75];
    return { ids, offsets, tokenCount: kept.length + 2, truncated: cut === undefined ? '' : text.slice(cut[0]) };
  },
};
