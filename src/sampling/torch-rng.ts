// Noise identical (to float32 rounding) to PyTorch's CPU `torch.randn(shape, generator=torch.Generator().
// manual_seed(seed))`, so a diffusers run with a CPU generator can be reproduced seed for seed.
// Spec: ATen CPUGeneratorImpl (mt19937 seeded by init_genrand(seed)), uniform_real_distribution<float> (24 low
// bits of one 32-bit draw / 2^24) and normal_fill for contiguous float tensors of >= 16 elements: fill every
// element with a uniform, then Box-Muller on blocks of 16 (u1 = 1 - data[j], u2 = data[j + 8], j < 8), and when
// numel % 16 != 0 redraw the last 16 elements and transform them again.
import { InputError } from '../errors.ts';
import { float32, numel, type Tensor } from '../tensor.ts';
import type { NoiseSource } from './rng.ts';

const MT_N = 624;
const MT_M = 397;

/** The 32-bit Mersenne Twister MT19937 (Matsumoto & Nishimura 1998), seeded like std::mt19937(seed). */
class Mt19937 {
  private readonly state = new Uint32Array(MT_N);
  private index = MT_N;

  constructor(seed: number) {
    this.state[0] = seed >>> 0;
    for (let i = 1; i < MT_N; i++) {
      const previous = this.state[i - 1]!;
      this.state[i] = (Math.imul(1812433253, previous ^ (previous >>> 30)) + i) >>> 0;
    }
  }

  private twist(): void {
    const s = this.state;
    for (let i = 0; i < MT_N; i++) {
      const y = (s[i]! & 0x80000000) | (s[(i + 1) % MT_N]! & 0x7fffffff);
      s[i] = s[(i + MT_M) % MT_N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }

  /** The next 32-bit output, tempered. */
  next(): number {
    if (this.index >= MT_N) this.twist();
    let y = this.state[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** A PyTorch CPU generator after `manual_seed(seed)`, for float32 `randn` draws of at least 16 values. */
export class TorchCpuRng implements NoiseSource {
  private readonly engine: Mt19937;

  /**
   * @param seed 0 .. 2^32 - 1 (torch keeps the low 32 bits for mt19937)
   * @throws InputError for a seed that is not such an integer
   */
  constructor(readonly seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new InputError({
        what: `torch-compatible seed must be an integer from 0 to 2^32 - 1, got ${seed}`,
        where: 'seed',
        fix: 'pass a whole number such as 42',
      });
    }
    this.engine = new Mt19937(seed);
  }

  private uniform(): number {
    return (this.engine.next() & 0xffffff) / 16777216;
  }

  /** Box-Muller on 16 uniforms in place, float32 results (torch's normal_fill_16 with mean 0, std 1). */
  private static fill16(data: Float32Array, offset: number): void {
    for (let j = 0; j < 8; j++) {
      const u1 = 1 - data[offset + j]!;
      const u2 = data[offset + j + 8]!;
      const radius = Math.sqrt(-2 * Math.log(u1));
      const theta = 2 * Math.PI * u2;
      data[offset + j] = radius * Math.cos(theta);
      data[offset + j + 8] = radius * Math.sin(theta);
    }
  }

  /**
   * The next torch.randn(shape) values (float32; within 1-2 ulp of torch, whose float32 log/sin/cos differ).
   * @throws InputError for fewer than 16 values (torch uses a different, double-precision path there)
   */
  normal(shape: readonly number[]): Float32Array {
    const size = numel(shape);
    if (!(size >= 16)) {
      throw new InputError({
        what: `torch-compatible noise needs at least 16 values, got shape [${shape.join(', ')}]`,
        where: 'TorchCpuRng.normal',
        fix: 'draw latents-sized noise, or use Rng',
      });
    }
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = this.uniform();
    for (let i = 0; i + 16 <= size; i += 16) TorchCpuRng.fill16(data, i);
    if (size % 16 !== 0) {
      const offset = size - 16;
      for (let i = 0; i < 16; i++) data[offset + i] = this.uniform();
      TorchCpuRng.fill16(data, offset);
    }
    return data;
  }

  /** normal(shape) as a float32 Tensor. */
  normalTensor(shape: readonly number[]): Tensor<'float32'> {
    return float32(shape, this.normal(shape));
  }
}
