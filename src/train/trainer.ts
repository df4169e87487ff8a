// The generic training loop over engine graphs (issue 11 §3): a task computes a loss and gradients for one batch;
// the loop owns everything else: AdamW with linear warm-up + cosine decay, global grad-norm clipping, an EMA of the
// weights, a JSONL loss log, a sample grid and a checkpoint every N minutes, and resuming after a kill.
// Determinism: batch k and the step's noise depend only on (seed, k), and the checkpoint holds params, EMA, AdamW
// moments and k, so a resumed run computes the same updates as an uninterrupted one (test/train/trainer.test.ts).
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdamW } from '../engine/index.ts';
import { InputError, throwIfAborted } from '../errors.ts';
import { writePngFile } from '../eval/index.ts';
import type { ProgressCallback } from '../progress.ts';
import { auxiliaryRng, type RgbImage, type Rng } from '../world/index.ts';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import type { TrainingBatch } from './data.ts';
import { ParamStore } from './param-store.ts';

/** What a task's step returns. */
export interface StepOutput {
  /** The scalar loss that was differentiated. */
  readonly loss: number;
  /** d loss / d param for every param of the task's store, by name. */
  readonly grads: Readonly<Record<string, Float32Array>>;
  /** Extra numbers for the log (e.g. reconstruction and KL terms). */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** Batches in order from a start index (data.ts's BatchStream is one). */
export interface BatchSource<B extends { readonly index: number }> {
  next(): Promise<B>;
  close(): Promise<void>;
}

/** One thing to train: its params (trained in place), its batches and its forward + backward. */
export interface TrainTask<B extends { readonly index: number } = TrainingBatch> {
  /** Stage id: the run-folder subdirectory and the checkpoint's `stage` metadata. */
  readonly stage: string;
  readonly params: ParamStore;
  /** Batches `start, start + 1, …`; batch k must depend on k only (resuming relies on it). */
  batches(start: number): BatchSource<B>;
  /** Loss and gradients on one batch; all randomness from `rng` (seeded per step). */
  step(batch: B, rng: Rng): Promise<StepOutput>;
  /** A picture of progress made with the given (EMA) weights, e.g. reconstructions or samples. */
  sample?(weights: ParamStore): Promise<RgbImage>;
  /** Frees sessions. */
  close?(): Promise<void>;
}

export interface TrainOptions {
  /** Optimizer steps of the stage (the cosine schedule spans them). */
  readonly steps: number;
  /** Peak learning rate. @default 1e-3 */ readonly lr?: number;
  /** Linear warm-up steps. @default 100 */ readonly warmupSteps?: number;
  /** The cosine decays to lr · this. @default 0.1 */ readonly finalLrFraction?: number;
  /** AdamW decoupled weight decay. @default 0.01 */ readonly weightDecay?: number;
  /** @default 0.9 */ readonly beta1?: number;
  /** @default 0.999 */ readonly beta2?: number;
  /** Global gradient-norm clip. @default 1 */ readonly maxGradNorm?: number;
  /** EMA decay (warmed up as min(decay, (1 + k)/(10 + k))). @default 0.999 */ readonly emaDecay?: number;
  /** Seeds the per-step generator. @default 0 */ readonly seed?: number;
  /** Minutes between checkpoints (and at the end). @default 5 */ readonly checkpointEveryMinutes?: number;
  /** Minutes between sample grids. @default 10 */ readonly sampleEveryMinutes?: number;
  /** Steps between log lines. @default 10 */ readonly logEverySteps?: number;
  /** Stop (after a checkpoint) once this many steps were taken in this call; the stage stays resumable. */
  readonly stopAfterSteps?: number;
  readonly onProgress?: ProgressCallback;
  readonly signal?: AbortSignal;
}

export const DEFAULT_TRAIN_OPTIONS = Object.freeze({
  lr: 1e-3, warmupSteps: 100, finalLrFraction: 0.1, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, maxGradNorm: 1,
  emaDecay: 0.999, seed: 0, checkpointEveryMinutes: 5, sampleEveryMinutes: 10, logEverySteps: 10,
});

type ResolvedTrainOptions = Readonly<Required<Omit<TrainOptions, 'onProgress' | 'signal' | 'stopAfterSteps'>> & { stopAfterSteps: number | undefined; onProgress?: ProgressCallback | undefined; signal?: AbortSignal | undefined }>;

function resolveTrainOptions(options: TrainOptions): ResolvedTrainOptions {
  const o = { ...DEFAULT_TRAIN_OPTIONS, ...options, stopAfterSteps: options.stopAfterSteps };
  const problems = [];
  if (!Number.isInteger(o.steps) || o.steps < 1) problems.push({ what: `steps ${o.steps} is not a positive integer`, where: 'TrainOptions.steps' });
  if (!(o.lr > 0)) problems.push({ what: `lr ${o.lr} must be > 0`, where: 'TrainOptions.lr' });
  if (!Number.isInteger(o.warmupSteps) || o.warmupSteps < 0) problems.push({ what: `warmupSteps ${o.warmupSteps} is not an integer ≥ 0`, where: 'TrainOptions.warmupSteps' });
  if (!(o.emaDecay >= 0 && o.emaDecay < 1)) problems.push({ what: `emaDecay ${o.emaDecay} must be in [0, 1)`, where: 'TrainOptions.emaDecay' });
  if (problems.length > 0) throw new InputError(problems);
  return Object.freeze(o);
}

/**
 * Learning rate of step k (1-based): linear warm-up to `lr`, then cosine decay to lr · finalLrFraction at `steps`.
 */
export function scheduledLr(k: number, o: Pick<ResolvedTrainOptions, 'lr' | 'warmupSteps' | 'finalLrFraction' | 'steps'>): number {
  if (k <= o.warmupSteps) return (o.lr * k) / Math.max(1, o.warmupSteps);
  const progress = Math.min(1, (k - o.warmupSteps) / Math.max(1, o.steps - o.warmupSteps));
  const floor = o.lr * o.finalLrFraction;
  return floor + (o.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/** One line of the stage's `log.jsonl`. */
export interface LogLine {
  readonly step: number;
  /** Mean loss over the steps since the previous line. */
  readonly loss: number;
  readonly lr: number;
  readonly gradNorm: number;
  /** Wall ms per step over those steps. */
  readonly msPerStep: number;
  /** Stage wall time so far, minutes. */
  readonly minutes: number;
  readonly [metric: string]: number;
}

/** What `train` leaves behind. */
export interface TrainResult {
  readonly stage: string;
  readonly steps: number;
  /** True when the stage reached `steps` (false: stopped early, resumable). */
  readonly finished: boolean;
  readonly elapsedMs: number;
  /** The EMA weights (the ones to ship), same names as the task's params. */
  readonly ema: ParamStore;
  /** Files of the stage: checkpoint, log, samples. */
  readonly dir: string;
}

/** Paths inside a stage folder. */
export function stageFiles(dir: string): { checkpoint: string; log: string; samples: string } {
  return { checkpoint: join(dir, 'checkpoint.safetensors'), log: join(dir, 'log.jsonl'), samples: join(dir, 'samples') };
}

/**
 * Trains `task` for `options.steps` steps in `runDir/<stage>/`, resuming from its checkpoint when there is one.
 * @throws InputError for bad options or a checkpoint of another model; CancelledError when `signal` aborts
 */
export async function train<B extends { readonly index: number }>(task: TrainTask<B>, runDir: string, options: TrainOptions): Promise<TrainResult> {
  const o = resolveTrainOptions(options);
  const dir = join(runDir, task.stage);
  const files = stageFiles(dir);
  mkdirSync(files.samples, { recursive: true });
  const optimizer = new AdamW(task.params.arrays(), { lr: o.lr, beta1: o.beta1, beta2: o.beta2, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm });
  const ema = new ParamStore(`${task.stage} EMA`);
  for (const [name, t] of task.params.entries()) ema.set(name, t.shape, t.data.slice());
  let elapsedMs = restore(task, files.checkpoint, optimizer, ema);
  const start = optimizer.step;
  truncateLog(files.log, start);
  const checkpoint = async (): Promise<void> => {
    const state = optimizer.state();
    await saveCheckpoint(files.checkpoint, { step: state.step, elapsedMs, metadata: { stage: task.stage }, groups: { param: task.params.arrays(), ema: ema.arrays(), adam_m: state.m, adam_v: state.v } });
  };
  const writeSample = async (): Promise<void> => {
    if (task.sample) await writePngFile(join(files.samples, `step-${String(optimizer.step).padStart(6, '0')}.png`), await task.sample(ema));
  };
  if (start >= o.steps) return { stage: task.stage, steps: start, finished: true, elapsedMs, ema, dir };

  const stream = task.batches(start);
  const window = { loss: 0, gradNorm: 0, steps: 0, ms: 0, metrics: {} as Record<string, number> };
  let lastCheckpoint = performance.now();
  let lastSample = start === 0 ? -Infinity : performance.now();
  try {
    while (optimizer.step < o.steps && (o.stopAfterSteps === undefined || optimizer.step - start < o.stopAfterSteps)) {
      throwIfAborted(o.signal);
      if (performance.now() - lastSample >= o.sampleEveryMinutes * 60_000) {
        await writeSample();
        lastSample = performance.now();
      }
      const t0 = performance.now();
      const batch = await stream.next();
      const out = await task.step(batch, auxiliaryRng(o.seed, batch.index));
      const k = optimizer.step + 1;
      const { gradNorm, lr } = optimizer.update(out.grads, scheduledLr(k, o));
      updateEma(ema, task.params, Math.min(o.emaDecay, (1 + k) / (10 + k)));
      const ms = performance.now() - t0;
      elapsedMs += ms;
      accumulate(window, out, gradNorm, ms);
      if (k % o.logEverySteps === 0 || k === o.steps) {
        const line = logLine(window, k, lr, elapsedMs);
        appendFileSync(files.log, JSON.stringify(line) + '\n');
        o.onProgress?.({ stage: 'train', step: k, total: o.steps, detail: `${task.stage} loss ${line.loss.toFixed(4)} ${line.msPerStep.toFixed(0)} ms/step` });
        Object.assign(window, { loss: 0, gradNorm: 0, steps: 0, ms: 0, metrics: {} });
      }
      if (performance.now() - lastCheckpoint >= o.checkpointEveryMinutes * 60_000) {
        await checkpoint();
        lastCheckpoint = performance.now();
      }
    }
    await checkpoint();
    if (optimizer.step >= o.steps) await writeSample();
  } finally {
    await stream.close();
  }
  return { stage: task.stage, steps: optimizer.step, finished: optimizer.step >= o.steps, elapsedMs, ema, dir };
}

/** Loads the stage's checkpoint into params, EMA and optimizer; returns the wall time already spent. */
function restore(task: TrainTask<{ readonly index: number }>, path: string, optimizer: AdamW, ema: ParamStore): number {
  const saved = loadCheckpoint(path);
  if (!saved) return 0;
  if (saved.metadata['stage'] !== task.stage) throw new InputError({ what: `checkpoint is of stage "${saved.metadata['stage']}", not "${task.stage}"`, where: path, fix: 'use another run name or delete the file' });
  task.params.assign(saved.groups.param);
  ema.assign(saved.groups.ema);
  optimizer.loadState({ step: saved.step, m: saved.groups.adam_m, v: saved.groups.adam_v });
  return saved.elapsedMs;
}

/** Drops log lines written after the checkpoint (steps that a kill lost and the resumed run repeats). */
function truncateLog(path: string, step: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0 && (JSON.parse(l) as LogLine).step <= step);
  writeFileSync(path, kept.map((l) => l + '\n').join(''));
}

function updateEma(ema: ParamStore, params: ParamStore, decay: number): void {
  for (const [name, t] of params.entries()) {
    const e = ema.readFloat32(name);
    const p = t.data;
    for (let i = 0; i < p.length; i++) e[i] = decay * e[i]! + (1 - decay) * p[i]!;
  }
}

interface LogWindow { loss: number; gradNorm: number; steps: number; ms: number; metrics: Record<string, number> }

function accumulate(w: LogWindow, out: StepOutput, gradNorm: number, ms: number): void {
  w.loss += out.loss;
  w.gradNorm += gradNorm;
  w.steps++;
  w.ms += ms;
  for (const [k, v] of Object.entries(out.metrics ?? {})) w.metrics[k] = (w.metrics[k] ?? 0) + v;
}

function logLine(w: LogWindow, step: number, lr: number, elapsedMs: number): LogLine {
  const n = Math.max(1, w.steps);
  const metrics = Object.fromEntries(Object.entries(w.metrics).map(([k, v]) => [k, v / n]));
  return { step, loss: w.loss / n, lr, gradNorm: w.gradNorm / n, msPerStep: w.ms / n, minutes: elapsedMs / 60_000, ...metrics };
}
