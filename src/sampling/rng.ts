// Seeded Gaussian noise that is the same on every run and machine: the same seed gives the same image.
//
// Algorithm (version 1; changing any step changes every seeded image, so bump RNG_ALGORITHM if you do):
//  1. Bits: Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"; Random123), a
//     counter-based generator: block = philox(counter, key). key = the 64-bit seed (low word, high word);
//     counter = (block index low, block index high, stream low, stream high). Draws walk the block index from 0.
//  2. Uniforms: each block's 4 words make two float64 uniforms with 53 random bits each,
//     u = ((w0 >>> 5) * 2^26 + (w1 >>> 6)) / 2^53 in [0, 1).
//  3. Normals: Box-Muller in float64 on each pair: r = sqrt(-2 ln(1 - u1)), z0 = r cos(2 pi u2), z1 = r sin(2 pi u2),
//     emitted z0 then z1, then rounded to float32. The stream does not depend on how draws are chunked:
//     normal([8]) then normal([8]) equals normal([16]).
//  4. Forks: fork(...labels) keeps the key and moves to another stream, derived from the parent's stream and the
//     labels (numbers as 32-bit words, strings by FNV-1a) through one Philox block, independent of draws made.
// Integer maths is exact in JavaScript; ln/sin/cos come from V8's own fdlibm port (not the platform libm), and the
// float32 rounding absorbs last-bit differences, so the output is identical across machines.
import { InputError } from '../errors.ts';
import { float32, numel, type Tensor } from '../tensor.ts';

/** Anything that draws unit Gaussian noise: Rng (ours, forkable) or TorchCpuRng (PyTorch CPU parity). */
export interface NoiseSource {
  /** The next numel(shape) standard normal values. */
  normal(shape: readonly number[]): Float32Array;
  /** normal(shape) as a float32 Tensor. */
  normalTensor(shape: readonly number[]): Tensor<'float32'>;
}

/** Version of the noise algorithm documented above; recorded with outputs so a seed stays meaningful. */
export const RNG_ALGORITHM = 'philox4x32-10/box-muller-f64/v1';

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32 (the low half is Math.imul). */
function mulHigh(a: number, b: number): number {
  const aHi = a >>> 16;
  const aLo = a & 0xffff;
  const bHi = b >>> 16;
  const bLo = b & 0xffff;
  const loLo = aLo * bLo;
  const hiLo = aHi * bLo;
  const loHi = aLo * bHi;
  const carry = Math.floor(((loLo >>> 16) + (hiLo & 0xffff) + (loHi & 0xffff)) / 65536);
  return (aHi * bHi + (hiLo >>> 16) + (loHi >>> 16) + carry) >>> 0;
}

/**
 * One Philox4x32-10 block (Random123 known-answer vectors in test/sampling/rng.test.ts).
 * @param counter 4 uint32 words; @param key 2 uint32 words
 * @returns 4 uint32 words
 */
export function philox4x32(
  counter: readonly number[],
  key: readonly number[],
): [number, number, number, number] {
  let [c0, c1, c2, c3] = [counter[0]! >>> 0, counter[1]! >>> 0, counter[2]! >>> 0, counter[3]! >>> 0];
  let k0 = key[0]! >>> 0;
  let k1 = key[1]! >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulHigh(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulHigh(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** FNV-1a over UTF-16 code units: a fork label as one 32-bit word. */
function labelWord(label: string | number): number {
  if (typeof label === 'number') return label >>> 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

function checkSeed(seed: number | bigint): [number, number] {
  const big = typeof seed === 'bigint' ? seed : Number.isSafeInteger(seed) ? BigInt(seed) : -1n;
  if (big < 0n || big >= 1n << 64n) {
    throw new InputError({
      what: `seed must be an integer from 0 to 2^53 - 1 (or a bigint below 2^64), got ${String(seed)}`,
      where: 'seed',
      fix: 'pass a whole number such as 42',
    });
  }
  return [Number(big & 0xffffffffn), Number(big >> 32n)];
}

/** Seeded, forkable source of float32 Gaussian noise (algorithm in this file's header). */
export class Rng implements NoiseSource {
  private readonly key: [number, number];
  private readonly stream: [number, number];
  /** Next Philox block index (64-bit, as two words). */
  private blockLow = 0;
  private blockHigh = 0;
  /** The second normal of the last block when a draw ended halfway through it. */
  private spare: number | undefined;

  /**
   * @param seed 0 .. 2^53 - 1, or a bigint below 2^64
   * @param stream the two stream words; reach other streams through fork() @default [0, 0]
   * @throws InputError for a negative, fractional, non-finite or too large seed
   */
  constructor(
    readonly seed: number | bigint,
    stream: readonly [number, number] = [0, 0],
  ) {
    this.key = checkSeed(seed);
    this.stream = [stream[0] >>> 0, stream[1] >>> 0];
  }

  /** An independent generator for a labelled purpose (e.g. fork('initial-noise'), fork('step', 3)). */
  fork(...labels: readonly (string | number)[]): Rng {
    let stream: [number, number] = [...this.stream];
    for (const label of labels) {
      const block = philox4x32([labelWord(label), 0x666f726b /* "fork" */, stream[0], stream[1]], this.key);
      stream = [block[0], block[1]];
    }
    return new Rng(this.seed, stream);
  }

  private nextPair(): [number, number] {
    const [w0, w1, w2, w3] = philox4x32(
      [this.blockLow, this.blockHigh, this.stream[0], this.stream[1]],
      this.key,
    );
    this.blockLow = (this.blockLow + 1) >>> 0;
    if (this.blockLow === 0) this.blockHigh = (this.blockHigh + 1) >>> 0;
    const u1 = ((w0 >>> 5) * 67108864 + (w1 >>> 6)) / 9007199254740992;
    const u2 = ((w2 >>> 5) * 67108864 + (w3 >>> 6)) / 9007199254740992;
    const radius = Math.sqrt(-2 * Math.log(1 - u1));
    const theta = 2 * Math.PI * u2;
    return [radius * Math.cos(theta), radius * Math.sin(theta)];
  }

  /**
   * The next numel(shape) standard normal values, float32.
   * @param shape e.g. [1, 4, hLat, wLat]
   */
  normal(shape: readonly number[]): Float32Array {
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new InputError({
        what: `shape [${shape.join(', ')}] has a dimension that is not a whole number`,
        where: 'Rng.normal',
        fix: 'pass non-negative integer dimensions',
      });
    }
    const out = new Float32Array(numel(shape));
    let i = 0;
    if (this.spare !== undefined && out.length > 0) {
      out[i++] = this.spare;
      this.spare = undefined;
    }
    while (i < out.length) {
      const [z0, z1] = this.nextPair();
      out[i++] = z0;
      if (i < out.length) out[i++] = z1;
      else this.spare = z1;
    }
    return out;
  }

  /** normal(shape) as a float32 Tensor, ready for Scheduler.step's `noise`. */
  normalTensor(shape: readonly number[]): Tensor<'float32'> {
    return float32(shape, this.normal(shape));
  }
}
