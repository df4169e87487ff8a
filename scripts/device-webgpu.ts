// Measures our graphs on onnxruntime-node's WebGPU backend against its CPU backend on a GPU machine (the `device`
// tool): an SD 1.5-config UNet step (random weights, 64×64 latents, batch 2) and a UNet resnet block's forward +
// all-gradients graph. Writes the ONNX with our engine, then times raw ORT sessions per execution provider.
// Usage (bundled, since the device has no node_modules): see scripts/device-webgpu.sh.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { Graph, grad, writeToCache } from '../src/engine/index.ts';
import { buildUNet } from '../src/models/unet.ts';
import { SD1_UNET_CONFIG } from '../src/models/checkpoint.ts';
import type { WeightSource } from '../src/models/weights.ts';
import { numel } from '../src/tensor.ts';

const EMPTY: WeightSource = { path: 'random weights', names: () => [], has: () => false, info: () => ({ shape: [] }), readFloat32: () => new Float32Array(0) };

function pool(size: number): Float32Array {
  const out = new Float32Array(size);
  let s = 0x9e3779b9;
  for (let i = 0; i < size; i++) out[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.07;
  return out;
}
const POOL = pool(1280 * 2560 * 9 + 2 ** 20);
let next = 0;
const initialize = (_name: string, shape: readonly number[]): Float32Array => {
  const n = numel(shape);
  next = (next + 7919 * 1024) % (POOL.length - n + 1);
  return POOL.subarray(next, next + n);
};

function onnxPathOf(graph: Graph, options: { fused: boolean }): string {
  const dir = mkdtempSync(join(tmpdir(), 'device-'));
  writeToCache(graph, { cacheDir: dir, weightsIdentity: `random-${options.fused}`, fused: options.fused });
  const find = (d: string): string | undefined => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        const f = find(p);
        if (f) return f;
      } else if (e.name.endsWith('.onnx')) return p;
    }
    return undefined;
  };
  return find(dir)!;
}

async function timeProvider(path: string, ep: 'cpu' | 'webgpu', feeds: Record<string, ort.Tensor>, repeats: number): Promise<{ createMs: number; firstMs: number; ms: number; out: Float32Array }> {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(path, { executionProviders: [ep], graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: '0' } } } });
  const createMs = performance.now() - t0;
  const t1 = performance.now();
  let result = await session.run(feeds);
  const firstMs = performance.now() - t1;
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    result = await session.run(feeds);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const out = result[session.outputNames[0]!]!.data as Float32Array;
  await session.release();
  return { createMs, firstMs, ms: times[Math.floor(times.length / 2)]!, out };
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

async function compare(label: string, path: string, feeds: Record<string, ort.Tensor>, repeats: number): Promise<void> {
  const cpu = await timeProvider(path, 'cpu', feeds, repeats);
  console.log(`${label} cpu: create ${cpu.createMs.toFixed(0)} ms, first ${cpu.firstMs.toFixed(0)} ms, median ${cpu.ms.toFixed(1)} ms`);
  try {
    const gpu = await timeProvider(path, 'webgpu', feeds, repeats);
    console.log(`${label} webgpu: create ${gpu.createMs.toFixed(0)} ms, first ${gpu.firstMs.toFixed(0)} ms, median ${gpu.ms.toFixed(1)} ms; speed-up ×${(cpu.ms / gpu.ms).toFixed(2)}; max rel diff vs cpu ${maxRelDiff(gpu.out, cpu.out).toExponential(2)}`);
  } catch (e) {
    console.log(`${label} webgpu: failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const unit = (shape: number[], offset: number): ort.Tensor => new ort.Tensor('float32', POOL.slice(offset, offset + numel(shape)).map((v) => v * 14), shape);

// 1. A resnet block (C=128, 16², N=16): forward + all gradients (engine.md's size), unfused (differentiated).
{
  const g = new Graph();
  const x = g.input('x', 'float32', [16, 128, 16, 16]);
  const p = (name: string, shape: number[]) => g.param(name, { dtype: 'float32', shape, data: initialize(name, shape).slice() }, { trainable: true });
  const gn = (v: ReturnType<typeof g.input>, i: number) => g.groupNorm(v, 32, p(`n${i}.w`, [128]), p(`n${i}.b`, [128]), 1e-5);
  let h = g.conv2d(g.silu(gn(x, 1)), p('c1.w', [128, 128, 3, 3]), p('c1.b', [128]), { padding: 1 });
  h = g.conv2d(g.silu(gn(h, 2)), p('c2.w', [128, 128, 3, 3]), p('c2.b', [128]), { padding: 1 });
  const y = g.add(x, h);
  const loss = g.reduceMean(g.mul(y, y), [0, 1, 2, 3]);
  const trained = grad(g, loss, [x, ...g.params.filter((v) => v.trainable)]);
  const path = onnxPathOf(trained, { fused: false });
  const feeds: Record<string, ort.Tensor> = { x: unit([16, 128, 16, 16], 5) };
  for (const v of trained.params.filter((q) => q.trainable)) feeds[v.name] = new ort.Tensor('float32', v.data!.data as Float32Array, [...v.shape]);
  await compare('resnet block fwd+bwd (16×128×16²)', path, feeds, 5);
}

// 2. The SD 1.5 UNet step at 64×64, batch 2, fused attention (inference graph).
{
  const g = new Graph();
  const t0 = performance.now();
  buildUNet(g, SD1_UNET_CONFIG, EMPTY, { batch: 2, heightLatPx: 64, widthLatPx: 64, initialize });
  const path = onnxPathOf(g, { fused: true });
  console.log(`SD 1.5 UNet graph written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const feeds = { sample: unit([2, 4, 64, 64], 11), timestep: new ort.Tensor('float32', Float32Array.from([801, 801]), [2]), encoder_hidden_states: unit([2, 77, 768], 17) };
  await compare('SD 1.5 UNet step (2×4×64², fused attention)', path, feeds, 3);
}
