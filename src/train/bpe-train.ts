// Learns a small CLIP-format BPE vocabulary (vocab.json + merges.txt) from Shapes World captions (issue 11 §2):
// the 256 byte symbols and their end-of-word forms first (byte-level fallback: any text tokenizes), then one token
// per learned merge, then <|startoftext|> and <|endoftext|> — the layout of openai's simple_tokenizer.py vocabulary.
import { InputError } from '../errors.ts';
import { baseSymbolsInVocabOrder, byteToUnicode, CLIP_BOS_TOKEN, CLIP_EOS_TOKEN, END_OF_WORD } from '../text/index.ts';
import { captionOf, sampleScene, sceneRng, NO_DROPOUT, auxiliaryRng } from '../world/index.ts';

export interface BpeTrainOptions {
  /** Stop after this many merges (the vocabulary is 512 + merges + 2 tokens). @default 1000 */
  readonly maxMerges?: number;
  /** A pair must occur at least this often (counted over words × occurrences) to be merged. @default 2 */
  readonly minCount?: number;
}

export const DEFAULT_BPE_TRAIN_OPTIONS = Object.freeze({ maxMerges: 1000, minCount: 2 });

/** A learned vocabulary: ids by token string and merges ("a b", best first), as vocab.json and merges.txt hold them. */
export interface BpeVocabulary {
  readonly vocab: Readonly<Record<string, number>>;
  readonly merges: readonly string[];
}

const utf8 = new TextEncoder();
const BYTE_CHARS = byteToUnicode();

/** CLIP's pre-tokenisation reduced to what captions need: lower case, whitespace-separated words. */
function wordsOf(text: string): string[] {
  return text.toLowerCase().split(/\s+/).filter((w) => w.length > 0);
}

/**
 * Learns BPE merges from a corpus, greedily merging the most frequent adjacent pair (ties: the pair first seen in
 * corpus order, so the result is deterministic).
 * @param corpus texts (captions); words are counted with multiplicity
 * @throws InputError when maxMerges or minCount is not a positive integer
 */
export function trainBpe(corpus: readonly string[], options: BpeTrainOptions = {}): BpeVocabulary {
  const o = { ...DEFAULT_BPE_TRAIN_OPTIONS, ...options };
  const problems = [];
  if (!Number.isInteger(o.maxMerges) || o.maxMerges < 0) problems.push({ what: `maxMerges ${o.maxMerges} is not an integer ≥ 0`, where: 'BpeTrainOptions.maxMerges' });
  if (!Number.isInteger(o.minCount) || o.minCount < 1) problems.push({ what: `minCount ${o.minCount} is not an integer ≥ 1`, where: 'BpeTrainOptions.minCount' });
  if (problems.length > 0) throw new InputError(problems);

  const counts = new Map<string, number>();
  for (const text of corpus) for (const w of wordsOf(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  // Each distinct word as its symbol list, the last symbol carrying </w> as the tokenizer's BPE expects.
  const words = [...counts].map(([w, count]) => {
    const symbols = Array.from(utf8.encode(w), (b) => BYTE_CHARS[b]!);
    symbols[symbols.length - 1] += END_OF_WORD;
    return { symbols, count };
  });

  const merges: string[] = [];
  while (merges.length < o.maxMerges) {
    const pairCounts = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i < symbols.length - 1; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      }
    }
    let best = '';
    let bestCount = 0;
    for (const [key, c] of pairCounts) if (c > bestCount) [best, bestCount] = [key, c];
    if (bestCount < o.minCount) break;
    merges.push(best);
    const [first, second] = best.split(' ') as [string, string];
    for (const word of words) word.symbols = mergePair(word.symbols, first, second);
  }
  return { vocab: vocabularyOf(merges), merges };
}

function mergePair(symbols: readonly string[], first: string, second: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; ) {
    if (i < symbols.length - 1 && symbols[i] === first && symbols[i + 1] === second) {
      out.push(first + second);
      i += 2;
    } else out.push(symbols[i++]!);
  }
  return out;
}

/** simple_tokenizer.py's vocabulary order: bytes, bytes + </w>, one token per merge, then the two special tokens. */
function vocabularyOf(merges: readonly string[]): Record<string, number> {
  const base = baseSymbolsInVocabOrder();
  const tokens = [...base, ...base.map((s) => s + END_OF_WORD), ...merges.map((m) => m.replace(' ', '')), CLIP_BOS_TOKEN, CLIP_EOS_TOKEN];
  const vocab: Record<string, number> = {};
  for (const t of tokens) if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  return vocab;
}

/**
 * Captions of training scenes `0 … sceneCount-1` (train stream): every scene's full caption plus one with the
 * training word dropout, so partial captions share the full ones' tokens.
 */
export function trainingCaptions(sceneCount: number): string[] {
  const out: string[] = [];
  const dropoutRng = auxiliaryRng(0x62706521, 1); // "bpe!"
  for (let i = 0; i < sceneCount; i++) {
    const scene = sampleScene(sceneRng('train', i));
    out.push(captionOf(scene, undefined, NO_DROPOUT), captionOf(scene, dropoutRng));
  }
  return out;
}

/** merges.txt text: the '#version: 0.2' header, then one merge per line. */
export function mergesText(merges: readonly string[]): string {
  return ['#version: 0.2', ...merges].join('\n') + '\n';
}
