// Captions of Shapes World scenes (world.md "Captions"): one small regular grammar, with word dropout and empty
// captions for training. "a red striped ball and a small blue cube on snow at sunset".
import type { Rng } from './rng.ts';
import {
  COLOURS,
  GROUNDS,
  PATTERNS,
  SHAPES,
  SIZES,
  type Lighting,
  type Scene,
  type SceneObject,
} from './scene.ts';

/** Probability that each kind of word is left out of a training caption. */
export interface CaptionDropout {
  /** @default 0.35 */ readonly pattern: number;
  /** @default 0.2 */ readonly colour: number;
  /** @default 0.35 */ readonly size: number;
  /** @default 0.3 */ readonly ground: number;
  /** @default 0.3 */ readonly time: number;
  /** Probability of an empty caption (classifier-free guidance). @default 0.1 */
  readonly empty: number;
}

export const DEFAULT_CAPTION_DROPOUT: CaptionDropout = Object.freeze({
  pattern: 0.35,
  colour: 0.2,
  size: 0.35,
  ground: 0.3,
  time: 0.3,
  empty: 0.1,
});

/** No dropout: the full caption (evaluation, layer texts, `world sample`). */
export const NO_DROPOUT: CaptionDropout = Object.freeze({
  pattern: 0,
  colour: 0,
  size: 0,
  ground: 0,
  time: 0,
  empty: 0,
});

const TIME_PHRASE: Readonly<Record<Lighting['time'], string>> = {
  day: 'in the day',
  sunset: 'at sunset',
  night: 'at night',
};

function article(nextWord: string): string {
  return /^[aeiou]/.test(nextWord) ? 'an' : 'a';
}

// Draws happen in a fixed order whatever the probabilities are, so a caption's dropout does not shift later draws.
function keep(rng: Rng | undefined, dropProbability: number): boolean {
  if (rng === undefined) return true;
  return rng.next() >= dropProbability;
}

/**
 * Noun phrase of one object: "a small red striped ball". Size 'medium' and pattern 'plain' are never written.
 * @param rng with dropout, draws exactly three numbers; without, the full phrase
 */
export function objectPhrase(
  o: SceneObject,
  rng?: Rng,
  dropout: CaptionDropout = DEFAULT_CAPTION_DROPOUT,
): string {
  const words: string[] = [];
  const size = keep(rng, dropout.size);
  const colour = keep(rng, dropout.colour);
  const pattern = keep(rng, dropout.pattern);
  if (size && o.size !== 'medium') words.push(o.size);
  if (colour) words.push(o.colour);
  if (pattern && o.pattern.kind !== 'plain') words.push(o.pattern.kind);
  words.push(o.shape);
  return `${article(words[0]!)} ${words.join(' ')}`;
}

function joinPhrases(phrases: readonly string[]): string {
  if (phrases.length <= 1) return phrases[0] ?? '';
  return `${phrases.slice(0, -1).join(', ')} and ${phrases[phrases.length - 1]!}`;
}

/** The setting phrase: "on snow at sunset", parts dropped independently. */
export function settingPhrase(
  scene: Scene,
  rng?: Rng,
  dropout: CaptionDropout = DEFAULT_CAPTION_DROPOUT,
): string {
  const ground = keep(rng, dropout.ground);
  const time = keep(rng, dropout.time);
  const parts: string[] = [];
  if (ground) parts.push(`on ${scene.ground}`);
  if (time) parts.push(TIME_PHRASE[scene.lighting.time]);
  return parts.join(' ');
}

/**
 * The caption of a scene, objects in painting order.
 * @param rng absent: the full caption; present: words dropped with `dropout` and, with probability
 *   `dropout.empty`, the empty caption
 */
export function captionOf(
  scene: Scene,
  rng?: Rng,
  dropout: CaptionDropout = DEFAULT_CAPTION_DROPOUT,
): string {
  const empty = rng !== undefined && rng.next() < dropout.empty;
  const phrases = scene.objects.map((o) => objectPhrase(o, rng, dropout));
  const setting = settingPhrase(scene, rng, dropout);
  if (empty) return '';
  return setting === '' ? joinPhrases(phrases) : `${joinPhrases(phrases)} ${setting}`;
}

/**
 * The caption as a collage prompt: each object's phrase replaced by its `{id}` placeholder
 * (collage-format.md), e.g. "{ball-0} and {cube-1} on snow at sunset".
 */
export function promptTemplateOf(scene: Scene): string {
  const setting = settingPhrase(scene);
  const phrases = scene.objects.map((o) => `{${o.id}}`);
  return setting === '' ? joinPhrases(phrases) : `${joinPhrases(phrases)} ${setting}`;
}

/** Every word a caption can contain, sorted (the embedded model's tokenizer is learned from these captions). */
export function captionVocabulary(): readonly string[] {
  const words = new Set<string>(['a', 'an', 'and', 'on', ...SHAPES, ...COLOURS, ...GROUNDS]);
  for (const s of SIZES) if (s !== 'medium') words.add(s);
  for (const p of PATTERNS) if (p !== 'plain') words.add(p);
  for (const phrase of Object.values(TIME_PHRASE)) for (const w of phrase.split(' ')) words.add(w);
  return [...words].sort();
}
