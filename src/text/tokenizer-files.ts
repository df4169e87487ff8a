// Reading CLIP vocabularies: vocab.json + merges.txt (+ tokenizer_config.json, special_tokens_map.json) as in a
// diffusers `tokenizer/` folder, or openai's bpe_simple_vocab_16e6.txt.gz (simple_tokenizer.py builds the vocabulary).
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InputError, ModelError } from '../errors.ts';
import { baseSymbolsInVocabOrder, END_OF_WORD } from './bpe.ts';
import type { ClipTokenizerOptions } from './tokenizer.ts';

/** simple_tokenizer.py: `merges[1:49152-256-2+1]`, the merges CLIP was trained with. */
export const CLIP_MERGE_COUNT = 49152 - 256 - 2;

export interface VocabularyFiles {
  readonly vocab: Record<string, number>;
  readonly merges: string[];
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : String(e);
    throw new InputError({ what: `cannot read ${what} (${code})`, where: path, fix: 'check the path: a CLIP tokenizer folder holds vocab.json and merges.txt' }, { cause: e });
  }
}

/** merges.txt lines without the '#version' header and blank lines. */
export function parseMerges(text: string, path: string): string[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const merges = lines.filter((l, i) => l.length > 0 && !(i === 0 && l.startsWith('#version')));
  const bad = merges.findIndex((m) => m.split(' ').length !== 2);
  if (bad >= 0) throw new InputError({ what: `merge ${JSON.stringify(merges[bad])} is not two symbols separated by one space`, where: `${path} line ${bad + 2}`, fix: 'use the merges.txt that belongs to vocab.json' });
  return merges;
}

/** Reads vocab.json + merges.txt. @throws InputError naming the file when missing or malformed */
export async function readVocabularyFiles(vocabPath: string, mergesPath: string): Promise<VocabularyFiles> {
  const vocabText = await readText(vocabPath, 'the vocabulary');
  let vocab: unknown;
  try {
    vocab = JSON.parse(vocabText);
  } catch (e) {
    throw new InputError({ what: `vocabulary is not valid JSON (${e instanceof Error ? e.message : String(e)})`, where: vocabPath, fix: 're-download vocab.json' }, { cause: e });
  }
  if (typeof vocab !== 'object' || vocab === null || !Object.values(vocab).every((v) => Number.isInteger(v))) {
    throw new InputError({ what: 'vocabulary is not an object of token → integer id', where: vocabPath, fix: 're-download vocab.json' });
  }
  return { vocab: vocab as Record<string, number>, merges: parseMerges(await readText(mergesPath, 'the merges'), mergesPath) };
}

/** openai's form: the gzipped merges list; the vocabulary is derived exactly as simple_tokenizer.py does. */
export async function readBpeGz(path: string): Promise<VocabularyFiles> {
  let text: string;
  try {
    text = gunzipSync(await readFile(path)).toString('utf8');
  } catch (e) {
    throw new InputError({ what: `cannot read the gzipped BPE file (${e instanceof Error ? e.message : String(e)})`, where: path, fix: 'pass openai/CLIP bpe_simple_vocab_16e6.txt.gz' }, { cause: e });
  }
  const merges = text.split('\n').slice(1, CLIP_MERGE_COUNT + 1);
  if (merges.length !== CLIP_MERGE_COUNT) {
    throw new InputError({ what: `holds ${merges.length} merges, CLIP needs ${CLIP_MERGE_COUNT}`, where: path, fix: 'pass the complete bpe_simple_vocab_16e6.txt.gz' });
  }
  const base = baseSymbolsInVocabOrder();
  const tokens = [...base, ...base.map((s) => s + END_OF_WORD), ...merges.map((m) => m.replace(' ', '')), '<|startoftext|>', '<|endoftext|>'];
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  return { vocab, merges };
}

function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)['content'] === 'string') {
    return (value as Record<string, string>)['content'];
  }
  return undefined;
}

/** Special tokens and length from tokenizer_config.json / special_tokens_map.json (either may be absent). */
export async function readTokenizerOptions(dir: string): Promise<ClipTokenizerOptions> {
  const merged: Record<string, unknown> = {};
  for (const name of ['special_tokens_map.json', 'tokenizer_config.json']) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    try {
      Object.assign(merged, JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>);
    } catch (e) {
      throw new ModelError({ what: `${name} is not valid JSON`, where: path, fix: 're-download the tokenizer folder' }, { cause: e });
    }
  }
  const options: { -readonly [K in keyof ClipTokenizerOptions]: ClipTokenizerOptions[K] } = {};
  const pad = tokenString(merged['pad_token']);
  const bos = tokenString(merged['bos_token']);
  const eos = tokenString(merged['eos_token']);
  if (pad !== undefined) options.padToken = pad;
  if (bos !== undefined) options.bosToken = bos;
  if (eos !== undefined) options.eosToken = eos;
  const maxLength = merged['model_max_length'];
  // transformers writes a huge sentinel (1e30) when no limit is set; CLIP folders say 77.
  if (typeof maxLength === 'number' && Number.isInteger(maxLength) && maxLength >= 2 && maxLength <= 4096) options.maxLength = maxLength;
  return options;
}

/** added_tokens.json ({token: id}, as transformers saves tokens added after the vocabulary), sorted by id; [] when absent. */
export async function readAddedTokens(dir: string): Promise<[string, number][]> {
  const path = join(dir, 'added_tokens.json');
  if (!existsSync(path)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new ModelError({ what: 'added_tokens.json is not valid JSON', where: path, fix: 're-save the tokenizer' }, { cause: e });
  }
  if (typeof parsed !== 'object' || parsed === null || !Object.values(parsed).every((v) => Number.isInteger(v))) {
    throw new ModelError({ what: 'added_tokens.json is not an object of token → integer id', where: path, fix: 're-save the tokenizer' });
  }
  return (Object.entries(parsed) as [string, number][]).sort((a, b) => a[1] - b[1]);
}
