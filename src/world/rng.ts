// The Shapes World's seeded PRNG (sfc32) and its two seed streams, training and evaluation (world.md).
// Never Math.random: every scene is a pure function of its (stream, index) key.

/** A seeded source of uniform numbers; every draw advances the state. */
export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T;
}

/**
 * The seed streams. A scene is keyed by (stream, index); the stream's word is one of the four words of the
 * generator's initial state, so no training key and no evaluation key share an initial state: the two sets of
 * scenes are disjoint by construction, not by luck. sfc32's step is a bijection of its 128-bit state, so distinct
 * initial states stay distinct after the warm-up.
 */
export const SEED_STREAMS = ['train', 'eval'] as const;
export type SeedStream = (typeof SEED_STREAMS)[number];

const STREAM_WORD: Readonly<Record<SeedStream, number>> = { train: 0x7261696e, eval: 0x6576616c }; // "rain", "eval"

/** Largest index a stream accepts (indices are exact integers in a double). */
export const MAX_SCENE_INDEX = Number.MAX_SAFE_INTEGER;

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Chaotic generator, 32-bit variant; PractRand-clean, period ≥ 2³²).
 * Chosen over Math.random (unseedable) and mulberry32 (32-bit state: two streams could collide) because it is
 * four 32-bit words, fast in JS integer arithmetic, and its state holds a full (stream, index) key.
 */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

function wrap(next: () => number): Rng {
  return {
    next,
    range: (lo, hi) => lo + (hi - lo) * next(),
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new RangeError('pick from an empty list');
      return item;
    },
  };
}

/** A generator from a raw state; the first 15 outputs are discarded so nearby keys decorrelate. */
function fromState(a: number, b: number, c: number, d: number): Rng {
  const next = sfc32(a, b, c, d);
  for (let i = 0; i < 15; i++) next();
  return wrap(next);
}

/**
 * The generator of scene `index` of a seed stream (world.md: training and evaluation seeds are disjoint).
 * @param stream 'train' for training scenes and `world sample`, 'eval' for benchmark cases
 * @param index integer in [0, MAX_SCENE_INDEX]
 * @throws RangeError when index is not a non-negative safe integer
 */
export function sceneRng(stream: SeedStream, index: number): Rng {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`scene index must be an integer in [0, ${MAX_SCENE_INDEX}], received ${index}`);
  }
  const lo = index >>> 0;
  const hi = Math.floor(index / 4294967296) >>> 0;
  return fromState(lo, hi, STREAM_WORD[stream], 0x9e3779b9);
}

/**
 * A generator for anything that is not a scene (bootstrap resampling, caption dropout of a batch): its third
 * word is neither stream's, so it never replays a scene's draws.
 */
export function auxiliaryRng(seed: number, purpose: number): Rng {
  return fromState(seed >>> 0, Math.floor(seed / 4294967296) >>> 0, (0x61757800 ^ purpose) >>> 0, 0x85ebca6b);
}
