// The CLIP BPE tokenizer (openai/CLIP simple_tokenizer.py, transformers CLIPTokenizer) with character offsets into
// the original text for every token, added tokens (textual inversion) and truncation reporting. Vocabulary loading
// from files lives in tokenizer-files.ts.
import { join } from 'node:path';
import { BugError, InputError, ModelError } from '../errors.ts';
import { BytePairEncoder, END_OF_WORD, symbolsToText } from './bpe.ts';
import { cleanClipText, type TextCleanup } from './clean.ts';
import { mapIdentity } from './mapped-text.ts';
import { readAddedTokens, readBpeGz, readTokenizerOptions, readVocabularyFiles } from './tokenizer-files.ts';

/** CLIP's text context: BOS + 75 tokens + EOS. */
export const CLIP_CONTEXT_LENGTH = 77;
export const CLIP_BOS_TOKEN = '<|startoftext|>';
export const CLIP_EOS_TOKEN = '<|endoftext|>';

/** CLIP's pre-tokenizer (both implementations use it with IGNORECASE on lower-cased text). */
const WORD_PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/giu;

export interface TokenizedText {
  /** With BOS at 0, EOS, padding to `length`. */
  readonly ids: readonly number[];
  /** Per id: [start, end) UTF-16 range in the input text (`text.slice(start, end)`); [0, 0] for BOS/EOS/pad. */
  readonly offsets: readonly (readonly [number, number])[];
  /** Ids before padding, incl. BOS and EOS. */
  readonly tokenCount: number;
  /** The input text that fell off, from the first dropped token to the end ('' when none). */
  readonly truncated: string;
}

export interface ClipTokenizerOptions {
  /** Padding token (SD 1.x: '<|endoftext|>', SD 2.x: '!'). @default '<|endoftext|>' */
  readonly padToken?: string;
  /** @default '<|startoftext|>' */
  readonly bosToken?: string;
  /** @default '<|endoftext|>' */
  readonly eosToken?: string;
  /** Sequence length `tokenize` pads/truncates to. @default 77 */
  readonly maxLength?: number;
  /**
   * Text clean-up: 'huggingface' = transformers' CLIPTokenizer (what Stable Diffusion pipelines use); 'openai' =
   * openai/CLIP's simple_tokenizer (additionally html-unescapes twice). @default 'huggingface'
   */
  readonly textCleanup?: TextCleanup;
}

export interface TokenizeOptions {
  /** Output length incl. BOS/EOS. @default the tokenizer's maxLength (77) */
  readonly length?: number;
  /** Pad to `length` with the pad token. @default true */
  readonly pad?: boolean;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * CLIP BPE tokenizer with offsets into the input text.
 * @example
 * const tok = await ClipTokenizer.fromFolder('sd15/tokenizer');
 * const t = tok.tokenize('A red car, parked');
 * t.ids.slice(0, 7)      // [49406, 320, 736, 1615, 267, 16487, 49407], then 49407 × 70
 * t.offsets.slice(1, 6)  // [[0, 1], [2, 5], [6, 9], [9, 10], [11, 17]] → 'A', 'red', 'car', ',', 'parked'
 */
export class ClipTokenizer {
  readonly #encoder: Map<string, number>;
  readonly #decoder: string[];
  readonly #bpe: BytePairEncoder;
  readonly #cleanup: TextCleanup;
  /** Special and added tokens, matched in the raw text before clean-up (like transformers' added-tokens trie). */
  readonly #added = new Map<string, number>();
  /** Ids given by addTokens: decoded as their text, not as byte symbols. */
  readonly #userAddedIds = new Set<number>();
  #addedPattern: RegExp | undefined;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly maxLength: number;

  /**
   * A diffusers `tokenizer/` folder: vocab.json + merges.txt, special tokens and length from tokenizer_config.json /
   * special_tokens_map.json (SD 2.x pads with '!'), textual-inversion tokens from added_tokens.json.
   * @example const tok = await ClipTokenizer.fromFolder('sd15/tokenizer'); tok.tokenize('a red car').ids.length // 77
   */
  static async fromFolder(dir: string, options: ClipTokenizerOptions = {}): Promise<ClipTokenizer> {
    const { vocab, merges } = await readVocabularyFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'));
    const tokenizer = new ClipTokenizer(vocab, merges, { ...(await readTokenizerOptions(dir)), ...options });
    const added = await readAddedTokens(dir);
    const ids = tokenizer.addTokens(added.map(([token]) => token));
    const wrong = added.findIndex(([, id], i) => ids[i] !== id);
    if (wrong >= 0) {
      const [token, id] = added[wrong]!;
      throw new ModelError({ what: `added token ${JSON.stringify(token)} has id ${id}, but the next free id is ${ids[wrong]}`, where: join(dir, 'added_tokens.json'), fix: 'added token ids must follow the vocabulary without gaps: re-save the tokenizer' });
    }
    return tokenizer;
  }

  /** vocab.json + merges.txt given by path. */
  static async fromFiles(vocabPath: string, mergesPath: string, options: ClipTokenizerOptions = {}): Promise<ClipTokenizer> {
    const { vocab, merges } = await readVocabularyFiles(vocabPath, mergesPath);
    return new ClipTokenizer(vocab, merges, options);
  }

  /** openai's bpe_simple_vocab_16e6.txt.gz (vocabulary derived as simple_tokenizer.py does; 49408 ids). */
  static async fromBpeGz(path: string, options: ClipTokenizerOptions = {}): Promise<ClipTokenizer> {
    const { vocab, merges } = await readBpeGz(path);
    return new ClipTokenizer(vocab, merges, options);
  }

  /**
   * A tokenizer from an in-memory vocabulary (ids by token string) and merges ("a b" lines, best first).
   * @throws InputError when a special token or base byte symbol is missing from the vocabulary
   */
  static fromVocabAndMerges(vocab: Readonly<Record<string, number>>, merges: readonly string[], options: ClipTokenizerOptions = {}): ClipTokenizer {
    return new ClipTokenizer(vocab, merges, options);
  }

  private constructor(vocab: Readonly<Record<string, number>>, merges: readonly string[], options: ClipTokenizerOptions) {
    this.#encoder = new Map(Object.entries(vocab));
    this.#decoder = [];
    for (const [token, id] of this.#encoder) this.#decoder[id] = token;
    this.#bpe = new BytePairEncoder(merges);
    this.#cleanup = options.textCleanup ?? 'huggingface';
    this.maxLength = options.maxLength ?? CLIP_CONTEXT_LENGTH;
    const idOf = (token: string, role: string): number => {
      const id = this.#encoder.get(token);
      if (id === undefined) {
        throw new InputError({ what: `${role} token ${JSON.stringify(token)} is not in the vocabulary`, where: 'tokenizer vocabulary', fix: `add it to vocab.json or choose another ${role} token` });
      }
      return id;
    };
    this.bosId = idOf(options.bosToken ?? CLIP_BOS_TOKEN, 'bos');
    this.eosId = idOf(options.eosToken ?? CLIP_EOS_TOKEN, 'eos');
    this.padId = idOf(options.padToken ?? CLIP_EOS_TOKEN, 'pad');
    for (const special of [CLIP_BOS_TOKEN, CLIP_EOS_TOKEN, options.bosToken, options.eosToken]) {
      const id = special === undefined ? undefined : this.#encoder.get(special);
      if (special !== undefined && id !== undefined) this.#added.set(special, id);
    }
    this.#rebuildAddedPattern();
  }

  /** Vocabulary size incl. added tokens (the text encoder's embedding rows must cover it). */
  get vocabSize(): number {
    return this.#decoder.length;
  }

  /**
   * Adds tokens (e.g. textual-inversion placeholders '<car>') with new ids after the vocabulary; they are matched in
   * the raw text (case-sensitive, longest first) before clean-up and BPE. Already known tokens keep their id.
   * @returns the id of each token, in order
   */
  addTokens(tokens: readonly string[]): number[] {
    const ids = tokens.map((token) => {
      if (token.length === 0 || /\s/.test(token)) {
        throw new InputError({ what: `added token ${JSON.stringify(token)} is empty or contains whitespace`, where: 'addTokens', fix: "use a single word such as '<car>'" });
      }
      let id = this.#encoder.get(token);
      if (id === undefined) {
        id = this.#decoder.length;
        this.#encoder.set(token, id);
        this.#decoder[id] = token;
        this.#userAddedIds.add(id);
      }
      this.#added.set(token, id);
      return id;
    });
    this.#rebuildAddedPattern();
    return ids;
  }

  #rebuildAddedPattern(): void {
    const tokens = [...this.#added.keys()].sort((a, b) => b.length - a.length);
    this.#addedPattern = tokens.length === 0 ? undefined : new RegExp(tokens.map(escapeRegExp).join('|'), 'g');
  }

  /**
   * Token ids of `text` without BOS/EOS or padding, each with its [start, end) range in `text` (UTF-16 units).
   * @example tokenizer.encode('a red car') // { ids: [320, 736, 1615], offsets: [[0,1],[2,5],[6,9]] }
   */
  encode(text: string): { ids: number[]; offsets: [number, number][] } {
    const ids: number[] = [];
    const offsets: [number, number][] = [];
    let done = 0;
    const pattern = this.#addedPattern;
    if (pattern) {
      pattern.lastIndex = 0;
      for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
        this.#encodeChunk(text.slice(done, m.index), done, ids, offsets);
        ids.push(this.#added.get(m[0])!);
        offsets.push([m.index, m.index + m[0].length]);
        done = m.index + m[0].length;
      }
    }
    this.#encodeChunk(done === 0 ? text : text.slice(done), done, ids, offsets);
    return { ids, offsets };
  }

  #encodeChunk(chunk: string, base: number, ids: number[], offsets: [number, number][]): void {
    if (chunk.length === 0) return;
    const cleaned = cleanClipText(mapIdentity(chunk, base), this.#cleanup);
    const { text, starts, ends } = cleaned;
    WORD_PATTERN.lastIndex = 0;
    for (let m = WORD_PATTERN.exec(text); m !== null; m = WORD_PATTERN.exec(text)) {
      const word = m[0];
      const at = m.index;
      const special = this.#added.get(word);
      if (special !== undefined) {
        ids.push(special);
        offsets.push([starts[at]!, ends[at + word.length - 1]!]);
        continue;
      }
      const { tokens, byteLengths, byteLength } = this.#bpe.encodeWord(word);
      // Map byte ranges to code units of `text`: 1 byte per unit for ASCII, else walk code points.
      const unitOfByte = byteLength === word.length ? undefined : byteToUnit(word);
      let byte = 0;
      for (let k = 0; k < tokens.length; k++) {
        const firstByte = byte;
        byte += byteLengths[k]!;
        const u0 = unitOfByte ? unitOfByte[firstByte]! : firstByte;
        const u1 = unitOfByte ? unitOfByte[byte - 1]! : byte - 1;
        const last = unitOfByte && isHighSurrogate(word.charCodeAt(u1)) ? u1 + 1 : u1;
        ids.push(this.#idOf(tokens[k]!));
        offsets.push([starts[at + u0]!, ends[at + last]!]);
      }
    }
  }

  #idOf(token: string): number {
    const id = this.#encoder.get(token);
    if (id !== undefined) return id;
    // Every base symbol and every merge result is in a CLIP vocabulary; a gap means a vocabulary/merges mismatch.
    throw new BugError(`BPE produced ${JSON.stringify(token)}, which the vocabulary lacks (vocab.json and merges.txt do not belong together)`);
  }

  /**
   * BOS + tokens + EOS, truncated to `length` and padded with the pad token (how Stable Diffusion pipelines call
   * transformers: padding='max_length', truncation=True).
   */
  tokenize(text: string, options: TokenizeOptions = {}): TokenizedText {
    const length = options.length ?? this.maxLength;
    const pad = options.pad ?? true;
    if (!Number.isInteger(length) || length < 2) {
      throw new InputError({ what: `length ${length} leaves no room for BOS and EOS`, where: 'tokenize options → length', fix: `use an integer ≥ 2, normally ${this.maxLength}` });
    }
    const { ids: body, offsets: bodyOffsets } = this.encode(text);
    const room = length - 2;
    const kept = Math.min(body.length, room);
    const firstDropped = bodyOffsets[kept];
    const truncated = firstDropped ? text.slice(firstDropped[0]).trimEnd() : '';
    const ids = [this.bosId, ...body.slice(0, kept), this.eosId];
    const offsets: (readonly [number, number])[] = [[0, 0], ...bodyOffsets.slice(0, kept), [0, 0]];
    const tokenCount = ids.length;
    if (pad) {
      while (ids.length < length) {
        ids.push(this.padId);
        offsets.push([0, 0]);
      }
    }
    return { ids, offsets, tokenCount, truncated };
  }

  /** Text of ids as openai's decode gives it: every token, '</w>' → ' ' (special tokens included). */
  decode(ids: readonly number[]): string {
    let text = '';
    let symbols = '';
    for (const id of ids) {
      const token = this.#decoder[id];
      if (token === undefined) {
        throw new InputError({ what: `token id ${id} is outside the vocabulary (size ${this.vocabSize})`, where: 'decode', fix: 'pass ids this tokenizer produced' });
      }
      if (this.#userAddedIds.has(id)) {
        // Added tokens are plain text, not byte symbols ('ß' would otherwise decode as the byte 0xDF).
        text += symbolsToText(symbols) + token;
        symbols = '';
      } else {
        symbols += token;
      }
    }
    return (text + symbolsToText(symbols)).replaceAll(END_OF_WORD, ' ');
  }

  /** The token string of an id (vocabulary or added). */
  tokenText(id: number): string | undefined {
    return this.#decoder[id];
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** For each UTF-8 byte of `word`, the UTF-16 index where its code point starts. */
function byteToUnit(word: string): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < word.length; ) {
    const cp = word.codePointAt(i)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < size; k++) out.push(i);
    i += cp >= 0x10000 ? 2 : 1;
  }
  return Int32Array.from(out);
}
