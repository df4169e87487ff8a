// Byte-level BPE as in openai/CLIP simple_tokenizer.py (bytes_to_unicode, bpe) and transformers' CLIPTokenizer:
// each UTF-8 byte of a word becomes one printable character, '</w>' marks the word's end, then the lowest-ranked
// adjacent pair is merged until no ranked pair is left. Results are cached per word.

/** Marks the last symbol of a word. */
export const END_OF_WORD = '</w>';

/**
 * openai's bytes_to_unicode: printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onwards, in the
 * same order, so every byte has a visible, non-whitespace character (the 256 base symbols of the vocabulary).
 * @returns [256] the character of each byte value
 */
export function byteToUnicode(): string[] {
  const bytes: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const chars = new Array<string>(256);
  for (const b of bytes) chars[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (chars[b] === undefined) chars[b] = String.fromCharCode(256 + n++);
  }
  return chars;
}

/** Base symbols in openai's vocabulary order (the printable ranges first, then the remapped bytes). */
export function baseSymbolsInVocabOrder(): string[] {
  const table = byteToUnicode();
  const order: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) order.push(b);
  for (let b = 0xa1; b <= 0xac; b++) order.push(b);
  for (let b = 0xae; b <= 0xff; b++) order.push(b);
  for (let b = 0; b < 256; b++) if (!order.includes(b)) order.push(b);
  return order.map((b) => table[b]!);
}

const BYTE_CHARS = byteToUnicode();
const CHAR_BYTES = new Map<string, number>(BYTE_CHARS.map((c, b) => [c, b]));

/** One word's BPE: token strings (with '</w>' on the last) and how many UTF-8 bytes each covers. */
export interface BpeWord {
  readonly tokens: readonly string[];
  readonly byteLengths: readonly number[];
  /** UTF-8 length of the word. */
  readonly byteLength: number;
}

const utf8 = new TextEncoder();

/** Word-level BPE with a bounded cache. */
export class BytePairEncoder {
  readonly #ranks: Map<string, number>;
  readonly #cache = new Map<string, BpeWord>();
  readonly #cacheLimit: number;

  /** @param merges "a b" pairs, highest priority first (merges.txt without its '#version' line) */
  constructor(merges: readonly string[], cacheLimit = 50_000) {
    this.#ranks = new Map(merges.map((m, i) => [m, i]));
    this.#cacheLimit = cacheLimit;
  }

  /** BPE of one pre-tokenized word (cached by the word's text). */
  encodeWord(word: string): BpeWord {
    const cached = this.#cache.get(word);
    if (cached) return cached;
    const bytes = utf8.encode(word);
    const symbols = Array.from(bytes, (b) => BYTE_CHARS[b]!);
    symbols[symbols.length - 1] += END_OF_WORD;
    const merged = this.#merge(symbols);
    const byteLengths = merged.map((t) => (t.endsWith(END_OF_WORD) ? t.length - END_OF_WORD.length : t.length));
    const result: BpeWord = { tokens: merged, byteLengths, byteLength: bytes.length };
    if (this.#cache.size >= this.#cacheLimit) this.#cache.clear();
    this.#cache.set(word, result);
    return result;
  }

  /** Merges the lowest-ranked adjacent pair everywhere, repeatedly (simple_tokenizer.py `bpe`). */
  #merge(symbols: string[]): string[] {
    let word = symbols;
    while (word.length > 1) {
      let best = Infinity;
      let first = '';
      let second = '';
      for (let i = 0; i < word.length - 1; i++) {
        const rank = this.#ranks.get(word[i] + ' ' + word[i + 1]);
        if (rank !== undefined && rank < best) {
          best = rank;
          first = word[i]!;
          second = word[i + 1]!;
        }
      }
      if (best === Infinity) break;
      const next: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else {
          next.push(word[i]!);
          i++;
        }
      }
      word = next;
    }
    return word;
  }
}

/** Decodes BPE token text back to a string: symbols → bytes → UTF-8 (invalid bytes become U+FFFD, as openai's). */
export function symbolsToText(symbols: string): string {
  const bytes: number[] = [];
  for (const c of symbols) {
    const b = CHAR_BYTES.get(c);
    if (b !== undefined) bytes.push(b);
    else for (const x of new TextEncoder().encode(c)) bytes.push(x);
  }
  return new TextDecoder('utf-8').decode(Uint8Array.from(bytes));
}
