// Writing cases and images to disk: PNGs through sharp, written atomically (temp file + rename).
// A local stand-in until io/ exports `writePng` and `writeFileAtomic` from its index; then these two calls move there.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { toBytes, type RgbImage, type RgbaImage } from '../world/index.ts';
import { collageDocument, type BenchmarkCase, type CollageDocumentJson } from './case.ts';

/** Writes bytes to `path` through a temp file in the same folder, creating the folder; never leaves a partial file. */
export async function writeFileAtomically(path: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(temp, bytes);
  await rename(temp, path);
}

/** PNG bytes of a float image (3 channels: RGB, 4: RGBA straight alpha), 8 bits per channel. */
export async function encodePng(image: RgbImage | RgbaImage): Promise<Uint8Array> {
  const channels = image.data.length / (image.width * image.height);
  if (channels !== 3 && channels !== 4)
    throw new RangeError(`image has ${channels} channels, expected 3 or 4`);
  const png = await sharp(toBytes(image), { raw: { width: image.width, height: image.height, channels } })
    .png({ compressionLevel: 9 })
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

export async function writePngFile(path: string, image: RgbImage | RgbaImage): Promise<void> {
  await writeFileAtomically(path, await encodePng(image));
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
  await writePngFile(join(dir, CASE_FILES.background), c.background);
  for (const l of c.layers) await writePngFile(join(dir, CASE_FILES.layer(l.object.id)), l.layer.image);
  await writePngFile(join(dir, CASE_FILES.groundTruth), c.groundTruth);
  await writePngFile(join(dir, CASE_FILES.naive), c.naive);
  await writeFileAtomically(join(dir, CASE_FILES.caption), `${c.text}\n`);
  const path = join(dir, CASE_FILES.document);
  await writeFileAtomically(path, `${JSON.stringify(document, null, 2)}\n`);
  return { document, path };
}
