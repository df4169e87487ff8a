// Solid-colour square images for collage tests (written as PNG files or inlined as data URIs).
import { writeFileSync } from 'node:fs';
import { encodePng, type RgbaImage } from '../../src/io/index.ts';

/** An opaque size × size square of one colour. */
export function solidSquare(rgb: readonly [number, number, number], size: number): RgbaImage {
  const data = new Uint8Array(size * size * 4);
  for (let p = 0; p < size * size; p++) data.set([...rgb, 255], p * 4);
  return { width: size, height: size, data };
}

/** Writes the square as a PNG file. */
export async function writeSolidPng(path: string, rgb: readonly [number, number, number], size: number): Promise<void> {
  writeFileSync(path, await encodePng(solidSquare(rgb, size)));
}
