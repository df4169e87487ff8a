// Building a Scheduler from a CLI id or a diffusers scheduler_config.json (`_class_name` → our class), the way
// diffusers' `<Class>.from_config(config)` does: the config's keys over the class's constructor defaults.
import { InputError, ModelError } from '../errors.ts';
import { DdimScheduler, resolveDdimConfig } from './ddim.ts';
import { DpmSolverMultistepScheduler, resolveDpmSolverConfig } from './dpmpp-2m.ts';
import { EulerAncestralScheduler, resolveEulerAncestralConfig } from './euler-ancestral.ts';
import { EulerScheduler, resolveEulerConfig } from './euler.ts';
import { PndmScheduler, resolvePndmConfig } from './pndm.ts';
import type { RawSchedulerConfig } from './scheduler-config.ts';
import type { Scheduler } from './scheduler.ts';

/** The scheduler ids of the CLI (`--scheduler`). */
export const SCHEDULER_IDS = ['ddim', 'euler', 'euler-a', 'dpmpp-2m', 'dpmpp-2m-karras', 'pndm'] as const;
export type SchedulerId = (typeof SCHEDULER_IDS)[number];

/** diffusers `_class_name` → the id whose class implements it (DPM-Solver picks -karras from its config). */
export const SCHEDULER_CLASS_NAMES = {
  DDIMScheduler: 'ddim',
  EulerDiscreteScheduler: 'euler',
  EulerAncestralDiscreteScheduler: 'euler-a',
  DPMSolverMultistepScheduler: 'dpmpp-2m',
  PNDMScheduler: 'pndm',
} as const satisfies Record<string, SchedulerId>;

/** Config keys each id forces over the folder's config (the id names the algorithm variant). */
const ID_OVERRIDES: Record<SchedulerId, RawSchedulerConfig> = {
  ddim: {},
  euler: {},
  'euler-a': {},
  'dpmpp-2m': { algorithm_type: 'dpmsolver++', solver_order: 2, use_karras_sigmas: false },
  'dpmpp-2m-karras': { algorithm_type: 'dpmsolver++', solver_order: 2, use_karras_sigmas: true },
  pndm: {},
};

/** Options of createScheduler that are not part of scheduler_config.json. */
export interface CreateSchedulerOptions {
  /** DDIM's eta (0 = deterministic). @default 0 */
  readonly eta?: number;
  /** The config's file path, for error messages. @default 'scheduler_config.json' */
  readonly where?: string;
}

export function isSchedulerId(value: string): value is SchedulerId {
  return (SCHEDULER_IDS as readonly string[]).includes(value);
}

/** Throws unless `value` is one of SCHEDULER_IDS. @throws InputError listing the valid ids */
export function parseSchedulerId(value: string): SchedulerId {
  if (isSchedulerId(value)) return value;
  throw new InputError({
    what: `unknown scheduler "${value}"`,
    where: 'scheduler',
    fix: `use one of ${SCHEDULER_IDS.join(', ')}`,
  });
}

function build(id: SchedulerId, raw: RawSchedulerConfig, options: CreateSchedulerOptions): Scheduler {
  const where = options.where ?? 'scheduler_config.json';
  switch (id) {
    case 'ddim':
      return new DdimScheduler(
        resolveDdimConfig(raw, where),
        options.eta === undefined ? {} : { eta: options.eta },
      );
    case 'euler':
      return new EulerScheduler(resolveEulerConfig(raw, where));
    case 'euler-a':
      return new EulerAncestralScheduler(resolveEulerAncestralConfig(raw, where));
    case 'dpmpp-2m':
    case 'dpmpp-2m-karras':
      return new DpmSolverMultistepScheduler(resolveDpmSolverConfig(raw, where));
    case 'pndm':
      return new PndmScheduler(resolvePndmConfig(raw, where));
  }
}

/**
 * Creates a scheduler.
 * - `createScheduler(config)`: the class named by the config's `_class_name` (a model folder's own scheduler).
 * - `createScheduler(id, config)`: the algorithm `id` configured from `config` (typically the model folder's
 *   scheduler_config.json, so betas and spacing follow the model), as diffusers' `<Class>.from_config(config)`.
 *   Without a config the class's diffusers defaults apply (not SD's betas).
 * @example
 *   const s = createScheduler('euler-a', folder.scheduler.config); // io's openStableDiffusionFolder
 *   s.setTimesteps(20);
 * @throws InputError for an unknown id (listing SCHEDULER_IDS)
 * @throws ModelError for an unknown `_class_name` or a used key with an unsupported value (all listed at once)
 */
export function createScheduler(
  idOrConfig: string | RawSchedulerConfig,
  config?: RawSchedulerConfig,
  options: CreateSchedulerOptions = {},
): Scheduler {
  if (typeof idOrConfig === 'string') {
    const id = parseSchedulerId(idOrConfig);
    return build(id, { ...(config ?? {}), ...ID_OVERRIDES[id] }, options);
  }
  const className = idOrConfig['_class_name'];
  const id =
    typeof className === 'string'
      ? (SCHEDULER_CLASS_NAMES as Record<string, SchedulerId>)[className]
      : undefined;
  if (id === undefined) {
    throw new ModelError({
      what: `unsupported scheduler class ${JSON.stringify(className)}`,
      where: `${options.where ?? 'scheduler_config.json'} → _class_name`,
      fix: `use one of ${Object.keys(SCHEDULER_CLASS_NAMES).join(', ')}, or pick one with --scheduler (${SCHEDULER_IDS.join(', ')})`,
    });
  }
  return build(id, idOrConfig, options);
}
