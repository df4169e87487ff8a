// IEEE 754 half (F16) and bfloat16 (BF16) ⇄ float32 conversion, as safetensors stores them (little-endian bits).
// F16 → F32 goes through a 65536-entry table of float32 bit patterns (256 KiB, built once): one load per value.

let f16ToF32Bits: Uint32Array | undefined;

/** Exact float32 bit pattern of one half-precision bit pattern (subnormals, ±0, ±Inf and NaN payloads kept). */
export function halfBitsToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >> 10) & 0x1f;
  let mantissa = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  // Subnormal half: normalise into float32's wider exponent range.
  let e = 113;
  while ((mantissa & 0x400) === 0) {
    mantissa <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mantissa & 0x3ff) << 13)) >>> 0;
}

function table(): Uint32Array {
  if (!f16ToF32Bits) {
    f16ToF32Bits = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16ToF32Bits[h] = halfBitsToFloatBits(h);
  }
  return f16ToF32Bits;
}

/**
 * Converts half-precision bits to float32, exactly.
 * @param half [n] F16 bit patterns
 * @param out [n] destination (allocated when absent)
 * @returns [n] float32 values
 */
export function float16ToFloat32(half: Uint16Array, out: Float32Array = new Float32Array(half.length)): Float32Array {
  const lut = table();
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  const n = half.length;
  for (let i = 0; i < n; i++) bits[i] = lut[half[i]!]!;
  return out;
}

/**
 * Converts bfloat16 bits to float32, exactly (bf16 is the top half of a float32).
 * @param bf16 [n] BF16 bit patterns
 * @returns [n] float32 values
 */
export function bfloat16ToFloat32(bf16: Uint16Array, out: Float32Array = new Float32Array(bf16.length)): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  const n = bf16.length;
  for (let i = 0; i < n; i++) bits[i] = bf16[i]! << 16;
  return out;
}

/** Half-precision bit pattern nearest to a float32 bit pattern (round to nearest, ties to even; NaN stays NaN). */
export function floatBitsToHalfBits(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exponent = (f >>> 23) & 0xff;
  const mantissa = f & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 | (mantissa >>> 13) : 0);
  const e = exponent - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00; // overflow → ±Inf
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal → ±0
    const m = mantissa | 0x800000; // implicit leading 1
    const shift = 14 - e;
    let half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and reaches Inf at the top).
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/**
 * Converts float32 to half-precision bits (round to nearest even; out-of-range → ±Inf).
 * @param values [n] float32 values
 * @returns [n] F16 bit patterns
 */
export function float32ToFloat16(values: Float32Array, out: Uint16Array = new Uint16Array(values.length)): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const n = values.length;
  for (let i = 0; i < n; i++) out[i] = floatBitsToHalfBits(bits[i]!);
  return out;
}
