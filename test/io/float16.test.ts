import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bfloat16ToFloat32, float16ToFloat32, float32ToFloat16, floatBitsToHalfBits } from '../../src/io/float16.ts';

/** The value of a half bit pattern by the IEEE 754 formula, in float64 (independent of the table). */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * m * 2 ** -24;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

test('F16 → F32 equals the IEEE formula for all 65536 bit patterns (signed zeros and NaNs kept)', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const out = float16ToFloat32(all);
  for (let h = 0; h < 65536; h++) {
    const want = halfValue(h);
    if (Number.isNaN(want)) assert.ok(Number.isNaN(out[h]!), `h=${h}`);
    else assert.ok(Object.is(out[h], want), `h=${h.toString(16)}: ${out[h]} vs ${want}`);
  }
});

test('F32 → F16 → F32 returns every half value unchanged', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const back = float32ToFloat16(float16ToFloat32(all));
  for (let h = 0; h < 65536; h++) {
    if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) assert.ok((back[h]! & 0x7c00) === 0x7c00 && (back[h]! & 0x3ff) !== 0, `NaN h=${h.toString(16)} stays NaN`);
    else assert.equal(back[h], h, `h=${h.toString(16)}`);
  }
});

test('F32 → F16 rounds to nearest, ties to even, overflows to Inf and underflows through subnormals', () => {
  const cases: [number, number][] = [
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10 → even (1)
    [1 + 3 * 2 ** -11, 0x3c02], // tie → even (1 + 2^-9)
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // above the tie → up
    [65504, 0x7bff],
    [65519, 0x7bff], // below the Inf rounding threshold
    [65520, 0x7c00], // tie at the top → Inf
    [-1e9, 0xfc00],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // exact half of it: tie → even (0)
    [3 * 2 ** -26, 0x0001],
    [2 ** -14 - 2 ** -25, 0x0400], // rounds up into the smallest normal
    [-0, 0x8000],
  ];
  const bits = new Uint32Array(new Float32Array(cases.map(([v]) => v)).buffer);
  cases.forEach(([v, want], i) => assert.equal(floatBitsToHalfBits(bits[i]!), want, `${v}`));
});

test('BF16 → F32 keeps the top 16 bits of a float32', () => {
  assert.deepEqual([...bfloat16ToFloat32(new Uint16Array([0x3f80, 0xc040, 0x7f80, 0x0000, 0x3e20]))], [1, -3, Infinity, 0, 0.15625]);
});
