// The one way tests reach ../shared/reference (or COLLAGE_REFERENCE_DIR): skipped with the reason when it is
// absent, a failure under CI=true. Nothing from there is ever copied into the repo.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const REFERENCE_DIR = resolve(process.env['COLLAGE_REFERENCE_DIR'] ?? join(repoRoot, '..', 'shared', 'reference'));

export const referenceAvailable = existsSync(REFERENCE_DIR);

/**
 * For node:test's `skip` option: false when the reference folder is there; the reason string when it is not.
 * Under CI=true an absent reference throws, so the suite fails instead of passing on nothing.
 */
export function referenceSkip(): string | false {
  if (referenceAvailable) return false;
  if (process.env['CI'] === 'true') {
    throw new Error(`reference fixtures not found at ${REFERENCE_DIR}; CI requires them (set COLLAGE_REFERENCE_DIR)`);
  }
  const reason = `reference fixtures not found at ${REFERENCE_DIR} (set COLLAGE_REFERENCE_DIR to run these tests)`;
  console.log(`# skipped: ${reason}`);
  return reason;
}

/** Absolute path of a file inside the reference folder, e.g. referencePath('diffusers/unet_tiny/config.json'). */
export function referencePath(relative: string): string {
  return join(REFERENCE_DIR, relative);
}
