// UNet step cost on the engine (issue 5 acceptance): random-weight UNets with the exact SD 1.5 config at 64×64
// latents and an SD 2.x config at 96×96, batch 2 (one classifier-free-guidance step). Reports seconds per step,
// achieved GFLOP/s as a ratio of bare-ORT conv throughput measured in this process, peak RSS, cold build and
// cache-hit load, and the step time with the collage bias on over off. Weights are views into one shared random pool,
// so the JS side never holds a second 3.4 GB copy (ORT holds the one it runs with).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineSession, Graph, type Node } from '../src/engine/index.ts';
import { collageCoefficientsInputName, COLLAGE_SCALE_INPUT } from '../src/models/attention.ts';
import { buildUNet, UNET_OUTPUT, type UNetValues } from '../src/models/unet.ts';
import { SD1_UNET_CONFIG } from '../src/models/checkpoint.ts';
import type { UNetBuildConfig } from '../src/models/unet-config.ts';
import type { WeightSource } from '../src/models/weights.ts';
import { float32, numel, type Tensor } from '../src/tensor.ts';
import { formatTable, timeMs, type Bench, type BenchRow } from './table.ts';

/** runwayml/stable-diffusion-v1-5 unet/config.json (models/checkpoint.ts's SD 1.x config). */
export const SD15: UNetBuildConfig = SD1_UNET_CONFIG;
/** stabilityai/stable-diffusion-2-1 unet/config.json: linear projections, per-block heads, 1024-wide text. */
const SD21: UNetBuildConfig = { ...SD15, attention_head_dim: [5, 10, 20, 20], cross_attention_dim: 1024, use_linear_projection: true, upcast_attention: true };

const EMPTY: WeightSource = { path: 'random weights', names: () => [], has: () => false, info: () => ({ shape: [] }), readFloat32: () => new Float32Array(0) };
/** Largest SD weight: an up-block conv1 over 2560 concatenated channels, 1280 × 2560 × 3 × 3. */
export const POOL_SIZE = 1280 * 2560 * 9 + 2 ** 20;

/** Uniform values of std 0.02 (the usual init scale; keeps activations finite and away from denormals). */
export function randomPool(size: number): Float32Array {
  const pool = new Float32Array(size);
  let s = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    pool[i] = (s / 2 ** 32 - 0.5) * 0.02 * Math.sqrt(12);
  }
  return pool;
}

function randomTensor(shape: readonly number[], pool: Float32Array, offset: number): Tensor<'float32'> {
  return float32(shape, pool.slice(offset, offset + numel(shape)));
}

/** Multiply-adds × 2 of the convs, matmuls and attentions. */
function graphFlops(nodes: readonly Node[]): number {
  let flops = 0;
  for (const n of nodes) {
    const out = n.outputs[0]!;
    if (n.op === 'Conv') flops += 2 * numel(out.shape) * numel(n.inputs[1]!.shape.slice(1));
    else if (n.op === 'MatMul') flops += 2 * numel(out.shape) * n.inputs[0]!.shape.at(-1)!;
    else if (n.op === 'Attention') flops += 4 * numel(n.inputs[0]!.shape) * n.inputs[1]!.shape[1]!;
  }
  return flops;
}

export function build(config: UNetBuildConfig, sizeLatPx: number, pool: Float32Array, collage: boolean): { g: Graph; unet: UNetValues; buildMs: number } {
  const t0 = performance.now();
  const g = new Graph();
  let next = 0;
  const initialize = (_name: string, shape: readonly number[]): Float32Array => {
    const n = numel(shape);
    next = (next + 7919 * 1024) % (pool.length - n + 1);
    return pool.subarray(next, next + n);
  };
  const mib = Number(process.env['MODELS_BENCH_SCORE_MIB'] ?? Infinity); // self-attention chunking, for comparisons
  const unet = buildUNet(g, config, EMPTY, { batch: 2, heightLatPx: sizeLatPx, widthLatPx: sizeLatPx, initialize, maxAttentionScoreBytes: mib * 2 ** 20, ...(collage ? { collageBias: { conditional: [false, true] } } : {}) });
  return { g, unet, buildMs: performance.now() - t0 };
}

/** Unit-variance inputs (pool std 0.02 × 50) and, with the collage bias, w⁻ = 0.8 on a third of the queries for 7 tokens. */
export function feeds(unet: UNetValues, pool: Float32Array, collage: boolean): Record<string, Tensor> {
  const unit = (shape: readonly number[], offset: number): Tensor => float32(shape, pool.slice(offset, offset + numel(shape)).map((v) => v * 50));
  const f: Record<string, Tensor> = { sample: unit(unet.sample.shape, 11), timestep: float32([2], [801, 801]), encoder_hidden_states: unit(unet.encoderHiddenStates.shape, 17) };
  if (collage) {
    f[COLLAGE_SCALE_INPUT] = float32([1], [0.6]);
    for (let level = 0, side = unet.sample.shape[2]!; level < 4; level++, side /= 2) {
      const hw = side * side;
      f[collageCoefficientsInputName(hw)] = float32([hw, 77], Float32Array.from({ length: hw * 77 }, (_, i) => (i % 77 >= 1 && i % 77 < 8 && Math.floor(i / 77) % 3 === 0 ? -0.8 : 0)));
    }
  }
  return f;
}

/** Bare ORT conv throughput: 2×320×64×64 → 320, 3×3 (engine.md's reference shape), weights constant. */
async function convBaseline(pool: Float32Array): Promise<number> {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 320, 64, 64]);
  g.output('y', g.conv2d(x, g.param('w', randomTensor([320, 320, 3, 3], pool, 0)), g.param('b', randomTensor([320], pool, 5)), { padding: 1 }));
  const session = await EngineSession.create(g, { cacheDir: false });
  const input = randomTensor([2, 320, 64, 64], pool, 99);
  const ms = await timeMs(() => session.run({ x: input }), 5, 2);
  await session.release();
  return (2 * 2 * 320 * 64 * 64 * 320 * 9) / (ms / 1000) / 1e9;
}

const peakRssGiB = (): number => process.resourceUsage().maxRSS / 2 ** 20;

async function unetRows(label: string, config: UNetBuildConfig, sizeLatPx: number, pool: Float32Array, convGflops: number, cacheDir: string): Promise<BenchRow[]> {
  const weightsIdentity = `bench-random-${label}`;
  const plain = build(config, sizeLatPx, pool, false);
  const flops = graphFlops(plain.g.nodes);
  const cold = await EngineSession.create(plain.g, { cacheDir, weightsIdentity });
  await cold.release();
  const rssAfterColdLoad = peakRssGiB();
  const plainStep = async (repeats: number): Promise<{ ms: number; loadMs: number; cacheHit: boolean }> => {
    const again = build(config, sizeLatPx, pool, false);
    const session = await EngineSession.create(again.g, { cacheDir, weightsIdentity });
    const input = feeds(again.unet, pool, false);
    const ms = await timeMs(() => session.run(input, [UNET_OUTPUT]), repeats, 1);
    await session.release();
    return { ms, loadMs: session.timings.buildMs + session.timings.createMs, cacheHit: session.timings.cacheHit };
  };
  const first = await plainStep(5);
  const stepMs = first.ms;
  const biased = build(config, sizeLatPx, pool, true);
  const biasSession = await EngineSession.create(biased.g, { cacheDir, weightsIdentity });
  const biasInput = feeds(biased.unet, pool, true);
  const biasMs = await timeMs(() => biasSession.run(biasInput, [UNET_OUTPUT]), 5, 1);
  await biasSession.release();
  // bias off again after bias on: the ratio is against the mean of the runs before and after, so drift cancels
  const offMs = (stepMs + (await plainStep(3)).ms) / 2;
  const gflops = flops / (stepMs / 1000) / 1e9;
  const name = `${label} UNet ${sizeLatPx}×${sizeLatPx}, batch 2`;
  return [
    { name: `${name}: step`, value: stepMs / 1000, unit: 's', note: `${(flops / 1e9).toFixed(0)} GFLOP per step` },
    { name: `${name}: achieved`, value: gflops, unit: 'GFLOP/s', ratio: gflops / convGflops, note: 'vs bare-ORT conv in this run (target ≥ 0.6)' },
    { name: `${name}: graph build (JS)`, value: plain.buildMs, unit: 'ms' },
    { name: `${name}: cold build (emit + write + ORT create)`, value: cold.timings.buildMs + cold.timings.createMs, unit: 'ms' },
    { name: `${name}: cache-hit load`, value: first.loadMs, unit: 'ms', note: first.cacheHit ? 'cache hit' : 'NOT a cache hit' },
    { name: `${name}: collage bias on / off`, value: biasMs / 1000, unit: 's', ratio: biasMs / offMs, note: 'off = mean of runs before and after (target ≤ 1.05)' },
    { name: `${name}: peak RSS after the cold load`, value: rssAfterColdLoad, unit: 'GiB', note: 'process maximum before any step' },
    { name: `${name}: peak RSS so far`, value: peakRssGiB(), unit: 'GiB', note: 'process maximum (target ≤ 5.9 GiB)' },
  ];
}

export const bench: Bench = {
  name: 'models',
  async run() {
    const pool = randomPool(POOL_SIZE);
    const convGflops = await convBaseline(pool);
    const cacheDir = mkdtempSync(join(tmpdir(), 'models-bench-'));
    try {
      const rows: BenchRow[] = [{ name: 'bare ORT conv 2×320×64×64 → 320, 3×3', value: convGflops, unit: 'GFLOP/s', note: 'baseline' }];
      // MODELS_BENCH_ONLY=sd15|sd21 runs one model (peak RSS is per process); rows go to stderr as soon as they exist
      const only = process.env['MODELS_BENCH_ONLY'];
      if (only !== 'sd21') {
        rows.push(...(await unetRows('SD 1.5', SD15, 64, pool, convGflops, cacheDir)));
        console.error(formatTable(rows));
      }
      if (only !== 'sd15') rows.push(...(await unetRows('SD 2.1', SD21, 96, pool, convGflops, cacheDir)));
      return rows;
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  },
};
