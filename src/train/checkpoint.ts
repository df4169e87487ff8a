// Training checkpoints: one safetensors file per stage holding the trained params, their EMA, AdamW's moments and
// the position (step, wall time) as metadata. The next step's data and noise are pure functions of (seed, step), so
// the step number is the whole random state. Written atomically: a kill mid-write leaves the previous checkpoint.
import { existsSync } from 'node:fs';
import { InputError } from '../errors.ts';
import { openSafetensors, writeSafetensors, type StoredTensor } from '../io/index.ts';

/** Tensor-name prefixes of the four state groups. */
export const CHECKPOINT_GROUPS = ['param', 'ema', 'adam_m', 'adam_v'] as const;
export type CheckpointGroup = (typeof CHECKPOINT_GROUPS)[number];

/** Everything a stage needs to continue as if never stopped. */
export interface CheckpointState {
  /** Optimizer steps taken. */
  readonly step: number;
  /** Training wall time so far, over all sessions, in ms. */
  readonly elapsedMs: number;
  /** Free-form strings kept with the checkpoint (stage id, config digest, …). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Arrays by group, then by param name (diffusers names). */
  readonly groups: Readonly<Record<CheckpointGroup, ReadonlyMap<string, Float32Array>>>;
}

/** Writes `state` to `path` atomically. */
export async function saveCheckpoint(path: string, state: CheckpointState): Promise<void> {
  const tensors: Record<string, StoredTensor> = {};
  for (const group of CHECKPOINT_GROUPS) {
    for (const [name, data] of state.groups[group]) tensors[`${group}/${name}`] = { dtype: 'float32', shape: [data.length], data };
  }
  await writeSafetensors(path, tensors, { ...state.metadata, step: String(state.step), elapsed_ms: String(Math.round(state.elapsedMs)) });
}

/**
 * Reads a checkpoint written by `saveCheckpoint`, or undefined when there is none.
 * @throws InputError naming the file when it is damaged or lacks the step metadata
 */
export function loadCheckpoint(path: string): CheckpointState | undefined {
  if (!existsSync(path)) return undefined;
  const file = openSafetensors(path);
  try {
    const { step, elapsed_ms: elapsed, ...metadata } = file.metadata;
    if (step === undefined || !/^\d+$/.test(step)) throw new InputError({ what: `checkpoint has no step number (metadata step = ${String(step)})`, where: path, fix: 'delete the file to restart the stage from its beginning' });
    const groups = Object.fromEntries(CHECKPOINT_GROUPS.map((g) => [g, new Map<string, Float32Array>()])) as Record<CheckpointGroup, Map<string, Float32Array>>;
    for (const name of file.names()) {
      const slash = name.indexOf('/');
      const group = groups[name.slice(0, slash) as CheckpointGroup] as Map<string, Float32Array> | undefined;
      if (group) group.set(name.slice(slash + 1), file.readFloat32(name));
    }
    return { step: Number(step), elapsedMs: Number(elapsed ?? 0), metadata, groups };
  } finally {
    file.close();
  }
}
