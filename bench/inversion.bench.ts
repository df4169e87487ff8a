// Textual-inversion step cost (issue 9 acceptance): one step (batch 1) of the inversion graph — SD 1.5-size text
// encoder in inputs_embeds mode → SD 1.5-size UNet → masked loss, plus the backward pass to the token embeddings —
// as a ratio of one forward pass of the same graph (target ≤ 2.6), and the peak RSS of the step (target ≤ 10 GB).
// Random weights: views into one shared pool (as bench/models.bench.ts does), so JS never holds a second copy.
// INVERSION_BENCH_LATENT=16 runs a small size to check the bench itself (default 64 = 512² images);
// INVERSION_BENCH_SESSION='{"memoryArena":false}' overrides INVERSION_SESSION's ORT settings to measure them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineSession, Graph, gradName, type SessionOptions } from '../src/engine/index.ts';
import { buildInversionGraph, INVERSION_INPUTS, INVERSION_SESSION, type InversionGraphModels } from '../src/method/inversion-graph.ts';
import { buildUNet, SD1_TEXT_ENCODER_CONFIG, SD1_UNET_CONFIG, type WeightSource } from '../src/models/index.ts';
import { float32, numel, type Tensor } from '../src/tensor.ts';
import { formatTable, median, type Bench, type BenchRow } from './table.ts';

/** Largest weight: the text encoder's token table, 49408 × 768. */
const POOL_SIZE = 49408 * 768 + 2 ** 20;

function randomPool(size: number): Float32Array {
  const pool = new Float32Array(size);
  let s = 0x2545f491;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    pool[i] = (s / 2 ** 32 - 0.5) * 0.02 * Math.sqrt(12); // std 0.02
  }
  return pool;
}

/** A weight source serving views into `pool` for the given names and shapes. */
function poolSource(path: string, shapes: ReadonlyMap<string, readonly number[]>, pool: Float32Array): WeightSource {
  const offsets = new Map<string, number>();
  let next = 0;
  for (const [name, shape] of shapes) {
    next = (next + 7919 * 1024) % (pool.length - numel(shape) + 1);
    offsets.set(name, next);
  }
  return {
    path,
    names: () => [...shapes.keys()],
    has: (n) => shapes.has(n),
    info: (n) => ({ shape: shapes.get(n)! }),
    readFloat32: (n) => pool.subarray(offsets.get(n)!, offsets.get(n)! + numel(shapes.get(n)!)),
  };
}

/** CLIPTextModel's weight names and shapes for a config (transformers' state-dict names). */
function clipShapes(c: typeof SD1_TEXT_ENCODER_CONFIG): Map<string, number[]> {
  const [d, i] = [c.hidden_size, c.intermediate_size];
  const m = new Map<string, number[]>([['text_model.embeddings.token_embedding.weight', [c.vocab_size, d]], ['text_model.embeddings.position_embedding.weight', [c.max_position_embeddings, d]]]);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `text_model.encoder.layers.${l}`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) m.set(`${p}.self_attn.${proj}.weight`, [d, d]).set(`${p}.self_attn.${proj}.bias`, [d]);
    for (const ln of ['layer_norm1', 'layer_norm2']) m.set(`${p}.${ln}.weight`, [d]).set(`${p}.${ln}.bias`, [d]);
    m.set(`${p}.mlp.fc1.weight`, [i, d]).set(`${p}.mlp.fc1.bias`, [i]).set(`${p}.mlp.fc2.weight`, [d, i]).set(`${p}.mlp.fc2.bias`, [d]);
  }
  return m.set('text_model.final_layer_norm.weight', [d]).set('text_model.final_layer_norm.bias', [d]);
}

/** The UNet's weight names and shapes, recorded by a dry build at the smallest latent size. */
function unetShapes(): Map<string, readonly number[]> {
  const shapes = new Map<string, readonly number[]>();
  const empty: WeightSource = { path: 'record', names: () => [], has: () => false, info: () => ({ shape: [] }), readFloat32: () => new Float32Array(0) };
  buildUNet(new Graph(), SD1_UNET_CONFIG, empty, { batch: 1, heightLatPx: 8, widthLatPx: 8, initialize: (name, shape) => (shapes.set(name, shape), new Float32Array(numel(shape))) });
  return shapes;
}

function feeds(sizeLatPx: number, pool: Float32Array): Record<string, Tensor> {
  const unit = (shape: readonly number[], offset: number): Tensor => float32(shape, pool.slice(offset, offset + numel(shape)).map((v) => v * 50));
  const latent = [1, 4, sizeLatPx, sizeLatPx];
  return {
    [INVERSION_INPUTS.embeds]: unit([1, 77, 768], 3),
    [INVERSION_INPUTS.sample]: unit(latent, 11),
    [INVERSION_INPUTS.timestep]: float32([1], [500]),
    [INVERSION_INPUTS.target]: unit(latent, 17),
    [INVERSION_INPUTS.mask]: float32([1, 1, sizeLatPx, sizeLatPx], new Float32Array(sizeLatPx * sizeLatPx).fill(1)),
  };
}

/** Untimed runs before the timed ones: the arena still grows in the second (measured: it page-faults ~0.8 GB more). */
const WARMUP_RUNS = 2;

/** Timed rounds, each one step then one forward: pairs taken seconds apart, so the VM's drift cancels in the ratio. */
const ROUNDS = 4;

interface Timing {
  readonly wallS: number;
  readonly cpuS: number;
}

/** Wall and process CPU seconds (user + system, all threads) of one call. */
async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wallS: (performance.now() - t0) / 1000, cpuS: (used.user + used.system) / 1e6 };
}

/**
 * Peak RSS in GiB since the last `resetPeakRss` (Linux: VmHWM, reset through /proc/self/clear_refs), else the
 * process maximum.
 */
function peakRssGiB(): number {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    if (line) return Number(/(\d+)/.exec(line)![1]) / 2 ** 20;
  } catch {
    // not Linux: fall through to the process maximum
  }
  return process.resourceUsage().maxRSS / 2 ** 20;
}

function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux: peaks stay process maxima
  }
}

export const bench: Bench = {
  name: 'inversion',
  async run() {
    const size = Number(process.env['INVERSION_BENCH_LATENT'] ?? 64);
    const pool = randomPool(POOL_SIZE);
    const models: InversionGraphModels = {
      textConfig: SD1_TEXT_ENCODER_CONFIG, unetConfig: SD1_UNET_CONFIG, path: 'random SD 1.5-size weights',
      textWeights: poolSource('random text encoder', clipShapes(SD1_TEXT_ENCODER_CONFIG), pool),
      unetWeights: poolSource('random UNet', unetShapes(), pool),
    };
    const shape = { batch: 1, heightLatPx: size, widthLatPx: size, tokens: 77 };
    const cacheDir = mkdtempSync(join(tmpdir(), 'inversion-bench-'));
    const options = { cacheDir, weightsIdentity: 'bench-inversion-random-sd15' };
    const input = feeds(size, pool);
    const label = `SD 1.5-size text encoder + UNet, ${size * 8}² (${size}×${size} latents), batch 1`;
    try {
      // The step first, alone, for its peak: the forward session is only the ratio's baseline.
      resetPeakRss();
      const rssBefore = peakRssGiB();
      // The ORT settings inversionSession opens it with (INVERSION_SESSION).
      const session = { ...INVERSION_SESSION, ...(JSON.parse(process.env['INVERSION_BENCH_SESSION'] ?? '{}') as SessionOptions) };
      const step = await EngineSession.create(buildInversionGraph(new Graph(), models, shape, true), { ...options, ...session });
      const runStep = () => step.run(input, ['loss', gradName(INVERSION_INPUTS.embeds)]);
      for (let i = 0; i < WARMUP_RUNS; i++) await runStep();
      const rssStep = peakRssGiB();
      // Then both sessions side by side (~13 GiB), timed in alternation: this VM's speed drifts by 10–25 % over
      // minutes (measured: the same forward 5.2–6.6 s in back-to-back bench runs), which timing one session's runs
      // after the other's folded into the ratio.
      const forward = await EngineSession.create(buildInversionGraph(new Graph(), models, shape, false), options);
      const runForward = () => forward.run(input, ['loss']);
      for (let i = 0; i < WARMUP_RUNS; i++) await runForward();
      const steps: Timing[] = [];
      const forwards: Timing[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        steps.push(await timed(runStep));
        forwards.push(await timed(runForward));
      }
      await step.release();
      resetPeakRss();
      await runForward();
      const rssForward = peakRssGiB();
      await forward.release();
      const wall = (t: readonly Timing[]) => t.map((x) => x.wallS);
      const pairs = (key: keyof Timing) => steps.map((s, i) => s[key] / forwards[i]![key]);
      const range = (values: readonly number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
      const rows: BenchRow[] = [
        { name: `${label}: forward (loss only)`, value: median(wall(forwards)), unit: 's', note: `baseline (fused attention, as generation runs); ${ROUNDS} runs ${range(wall(forwards))} s` },
        { name: `${label}: inversion step (loss + d/d embeds)`, value: median(wall(steps)), unit: 's', ratio: median(pairs('wallS')), note: `median of ${ROUNDS} step/forward pairs (${range(pairs('wallS'))}; target ≤ 2.6); session ${JSON.stringify(session)}` },
        { name: `${label}: inversion step, process CPU time`, value: median(steps.map((t) => t.cpuS)), unit: 's', ratio: median(pairs('cpuS')), note: `pairs ${range(pairs('cpuS'))}; vs the forward's ${median(forwards.map((t) => t.cpuS)).toFixed(2)} s CPU (robust to other load; equals wall time at COLLAGE_THREADS=1 on an idle core)` },
        { name: `${label}: peak RSS of the step (creation + ${WARMUP_RUNS} runs, alone)`, value: rssStep, unit: 'GiB', note: `target ≤ 10 GB = 9.31 GiB; ${rssBefore.toFixed(2)} GiB before it` },
        { name: `${label}: peak RSS of a forward run, step session released`, value: rssForward, unit: 'GiB' },
      ];
      console.error(formatTable(rows));
      return rows;
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  },
};
