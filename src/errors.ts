// User-facing error types (architecture.md "Errors are values"): what went wrong, where, and how to fix it.
// Leaf module: imports nothing.

/** The three parts of every user-facing problem. */
export interface Problem {
  /** The problem, with the actual value. */
  readonly what: string;
  /** File, JSON path, tensor name or layer id. */
  readonly where?: string;
  /** The action that fixes it. */
  readonly fix?: string;
}

function formatProblem(p: Problem): string {
  let s = p.where ? `${p.where}: ${p.what}` : p.what;
  if (p.fix) s += ` (fix: ${p.fix})`;
  return s;
}

/** Base of every error a user can act on; never carries a stack to the CLI. */
export abstract class UserError extends Error {
  readonly problems: readonly Problem[];
  constructor(problems: Problem | readonly Problem[], options?: { cause?: unknown }) {
    const list = Array.isArray(problems) ? (problems as readonly Problem[]) : [problems as Problem];
    const message =
      list.length === 1 ? formatProblem(list[0]!) : `${list.length} problems:\n` + list.map((p) => `  - ${formatProblem(p)}`).join('\n');
    super(message, options);
    this.problems = list;
  }
}

/** Bad input: a file, a CLI argument, a number out of range. */
export class InputError extends UserError {
  override readonly name = 'InputError';
}

/** A collage document that fails validation (every problem listed). */
export class CollageError extends UserError {
  override readonly name = 'CollageError';
}

/** A model folder, checkpoint, config or weight that does not fit. */
export class ModelError extends UserError {
  override readonly name = 'ModelError';
}

/** A broken invariant inside our code: never thrown for bad user input. Keeps its stack. */
export class BugError extends Error {
  override readonly name = 'BugError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`internal error (please report): ${message}`, options);
  }
}

/** Cancellation through an AbortSignal. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(what = 'operation') {
    super(`${what} cancelled`);
  }
}

/** Throws CancelledError if the signal has fired; call between steps of long work. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}

/** Closes exhaustive switches over discriminated unions. */
export function assertNever(x: never): never {
  throw new BugError(`unexpected value ${JSON.stringify(x)}`);
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/** The one place that turns any thrown value into the text the CLI prints (no stack for user errors). */
export function describeError(e: unknown): string {
  if (e instanceof UserError) return `error: ${e.message}`;
  if (e instanceof CancelledError) return e.message;
  if (e instanceof BugError) return `${e.message}\n${e.stack ?? ''}`;
  if (e instanceof Error) return `unexpected error: ${e.message}\n${e.stack ?? ''}`;
  return `unexpected error: ${String(e)}`;
}
