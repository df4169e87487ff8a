// Atomic file writes (architecture.md "Outputs are written atomically"): temp file in the same folder, fsync, rename.
// Every writer in the project goes through writeFileAtomic, so a crash never leaves a half-written output.
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from '../errors.ts';

/** Bytes to write: one buffer, or chunks written in order (avoids concatenating multi-GB outputs). */
export type AtomicBytes = Uint8Array | readonly Uint8Array[];

/**
 * Writes `bytes` to `path` so that readers see either the old file or the complete new one, never a partial file.
 * Writes a temp file `.<name>.<random>.tmp` beside `path`, fsyncs it, then renames it over `path`; on any error the
 * temp file is removed and the error rethrown (an `InputError` naming the path when the folder is not writable).
 * @param path destination file; its folder must exist
 * @param bytes the content, as one buffer or a list of chunks
 * @throws InputError when the folder does not exist or is not writable
 */
export async function writeFileAtomic(path: string, bytes: AtomicBytes): Promise<void> {
  const tempPath = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(tempPath, 'wx');
  } catch (e) {
    throw new InputError(
      { what: `cannot create a file in ${dirname(path)} (${codeOf(e)})`, where: path, fix: 'create the folder or choose a writable output path' },
      { cause: e },
    );
  }
  try {
    const chunks = bytes instanceof Uint8Array ? [bytes] : bytes;
    for (const chunk of chunks) {
      let written = 0;
      while (written < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, written, chunk.byteLength - written);
        written += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tempPath, path);
  } catch (e) {
    if (handle) await handle.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
    throw e;
  }
}

function codeOf(e: unknown): string {
  if (e instanceof Error && 'code' in e && typeof e.code === 'string') return e.code;
  return e instanceof Error ? e.message : String(e);
}
