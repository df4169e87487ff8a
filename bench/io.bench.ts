// io/ throughput: F16/BF16 → F32 conversion (table lookup vs the per-value formula, same process) and F32 → F16.
import { bfloat16ToFloat32, float16ToFloat32, float32ToFloat16, halfBitsToFloatBits } from '../src/io/index.ts';
import { timeMs, type Bench, type BenchRow } from './table.ts';

const VALUES = 16 * 1024 * 1024; // 32 MB of F16

export const bench: Bench = {
  name: 'io',
  async run(): Promise<readonly BenchRow[]> {
    const half = new Uint16Array(VALUES);
    let seed = 12345;
    for (let i = 0; i < VALUES; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      half[i] = (seed >>> 8) & 0x7bff; // finite values, both signs' magnitudes
    }
    const out = new Float32Array(VALUES);
    const outBits = new Uint32Array(out.buffer);
    const mb = (VALUES * 2) / 1e6;
    const formulaMs = await timeMs(() => {
      for (let i = 0; i < VALUES; i++) outBits[i] = halfBitsToFloatBits(half[i]!);
    }, 3);
    const tableMs = await timeMs(() => float16ToFloat32(half, out), 5);
    const bf16Ms = await timeMs(() => bfloat16ToFloat32(half, out), 5);
    const floats = float16ToFloat32(half);
    const toHalf = new Uint16Array(VALUES);
    const f32ToF16Ms = await timeMs(() => float32ToFloat16(floats, toHalf), 3);
    return [
      { name: 'F16 → F32 (65536-entry table)', value: mb / (tableMs / 1000), unit: 'MB/s of F16', ratio: formulaMs / tableMs, note: 'vs per-value bit formula' },
      { name: 'F16 → F32 (per-value bit formula, baseline)', value: mb / (formulaMs / 1000), unit: 'MB/s of F16' },
      { name: 'BF16 → F32 (shift)', value: mb / (bf16Ms / 1000), unit: 'MB/s of BF16' },
      { name: 'F32 → F16 (round to nearest even)', value: (VALUES * 4) / 1e6 / (f32ToF16Ms / 1000), unit: 'MB/s of F32' },
    ];
  },
};
