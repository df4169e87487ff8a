// The output folder of the server: each result is `<id>.png` + `<id>.json` (its ResultJson), each job's document
// `<jobId>.collage.json`; every file written atomically, so a listing never shows a half-written result.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from '../errors.ts';
// io/ has no index.ts yet; switch to '../io/index.ts' when it lands.
import { readImage, writeFileAtomic, writePng, type RgbaImage } from '../io/index.ts';
import type { ResultJson } from './api-types.ts';

/** Result and job ids: what the server mints; anything else (`..`, `/`, `%2e`) is refused before touching disk. */
export const STORED_ID_PATTERN = /^[A-Za-z0-9-]{1,80}$/;

/** @throws InputError when `id` is not a stored id (path traversal attempts land here) */
export function checkStoredId(id: string, where: string): string {
  if (!STORED_ID_PATTERN.test(id)) {
    throw new InputError({ what: `"${id.slice(0, 80)}" is not a result or job id`, where, fix: 'use an id from GET /api/results' });
  }
  return id;
}

export class ResultStore {
  readonly outDir: string;
  readonly #results = new Map<string, ResultJson>();

  constructor(outDir: string) {
    this.outDir = outDir;
  }

  /** Creates the folder and reads the results already in it. @throws InputError when it cannot be created */
  async open(): Promise<void> {
    try {
      await mkdir(this.outDir, { recursive: true });
    } catch (e) {
      throw new InputError({ what: `cannot create the output folder (${e instanceof Error ? e.message : String(e)})`, where: this.outDir, fix: 'choose a writable folder with --out' });
    }
    for (const name of await readdir(this.outDir)) {
      if (!name.endsWith('.json') || name.endsWith('.collage.json') || name.startsWith('.')) continue;
      try {
        const record = JSON.parse(await readFile(join(this.outDir, name), 'utf8')) as ResultJson;
        if (typeof record.id === 'string' && STORED_ID_PATTERN.test(record.id)) this.#results.set(record.id, record);
      } catch {
        // A foreign or damaged .json in the folder is not a result: skip it.
      }
    }
  }

  /** Every result, newest first. */
  list(): ResultJson[] {
    return [...this.#results.values()].sort((a, b) => b.createdMs - a.createdMs || b.id.localeCompare(a.id));
  }

  get(id: string): ResultJson | undefined {
    return this.#results.get(id);
  }

  pngPath(id: string): string {
    return join(this.outDir, `${checkStoredId(id, 'result id')}.png`);
  }

  documentPath(jobId: string): string {
    return join(this.outDir, `${checkStoredId(jobId, 'job id')}.collage.json`);
  }

  /** Reads a result's image back (the previous image of a re-generation). */
  async readImage(id: string): Promise<RgbaImage> {
    return readImage(this.pngPath(id));
  }

  /** Reads the document a job was made from. */
  async readDocument(jobId: string): Promise<unknown> {
    return JSON.parse(await readFile(this.documentPath(jobId), 'utf8')) as unknown;
  }

  /**
   * Writes a job's document and images, then lists them. Image k's record has seed `seed + k`.
   * @param meta the ResultJson fields shared by the job's images
   */
  async save(
    jobId: string,
    documentJson: unknown,
    images: readonly RgbaImage[],
    meta: Omit<ResultJson, 'id' | 'jobId' | 'createdMs' | 'url' | 'documentUrl' | 'width' | 'height'>,
  ): Promise<ResultJson[]> {
    await writeFileAtomic(this.documentPath(jobId), new TextEncoder().encode(JSON.stringify(documentJson)));
    const saved: ResultJson[] = [];
    for (const [k, image] of images.entries()) {
      const createdMs = Date.now();
      const id = `${new Date(createdMs).toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`;
      const record: ResultJson = {
        ...meta,
        id,
        jobId,
        createdMs,
        url: `/api/results/${id}.png`,
        documentUrl: `/api/documents/${jobId}`,
        width: image.width,
        height: image.height,
        seed: meta.seed + k,
      };
      await writePng(this.pngPath(id), image);
      await writeFileAtomic(join(this.outDir, `${id}.json`), new TextEncoder().encode(JSON.stringify(record, null, 2) + '\n'));
      this.#results.set(id, record);
      saved.push(record);
    }
    return saved;
  }
}
