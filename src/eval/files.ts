// Writing cases and images to disk through io/: PNGs by writePng, text by writeFileAtomic (temp file + rename).
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic, writePng, type RgbaFloatImage } from '../io/index.ts';
import { toRgbaBytes, type RgbImage } from '../world/index.ts';
import { collageDocument, type BenchmarkCase, type CollageDocumentJson } from './case.ts';

/** Writes UTF-8 text to `path` atomically (io's writeFileAtomic). */
export async function writeTextFile(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(text));
}

/** Writes a float RGB or RGBA image as an 8-bit RGBA PNG, atomically, creating its folder. */
export async function writePngFile(path: string, image: RgbImage | RgbaFloatImage): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writePng(path, toRgbaBytes(image));
}

/** Paths of a case written by `writeCaseFiles`, relative to its folder. */
export const CASE_FILES = Object.freeze({
  document: 'scene.collage.json',
  background: 'background.png',
  groundTruth: 'scene.png',
  naive: 'naive-collage.png',
  caption: 'caption.txt',
  layer: (id: string) => `layers/${id}.png`,
});

/**
 * Writes a case as a ready-made collage: `scene.collage.json` (collage-format.md), `background.png`,
 * `layers/<id>.png`, plus `scene.png` (the ground truth), `naive-collage.png` and `caption.txt`.
 * @returns the document and its path
 */
export async function writeCaseFiles(
  dir: string,
  c: BenchmarkCase,
): Promise<{ document: CollageDocumentJson; path: string }> {
  const document = collageDocument(c, CASE_FILES.background, CASE_FILES.layer);
  await mkdir(dir, { recursive: true });
  await writePngFile(join(dir, CASE_FILES.background), c.background);
  for (const l of c.layers) await writePngFile(join(dir, CASE_FILES.layer(l.object.id)), l.layer.image);
  await writePngFile(join(dir, CASE_FILES.groundTruth), c.groundTruth);
  await writePngFile(join(dir, CASE_FILES.naive), c.naive);
  await writeTextFile(join(dir, CASE_FILES.caption), `${c.text}\n`);
  const path = join(dir, CASE_FILES.document);
  await writeTextFile(path, `${JSON.stringify(document, null, 2)}\n`);
  return { document, path };
}
