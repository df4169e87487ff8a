// What every importer (PSD, OpenRaster, the official demo's JSON) produces, and the one writer that puts it next
// to the input: `<name>.collage.json` + `layers/<id>.png`, each written atomically.
import { mkdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { InputError } from '../errors.ts';
import { writeFileAtomic, writePng, type RgbaImage } from '../io/index.ts';
import { CANVAS_MAX_PX, CANVAS_MIN_PX, CANVAS_MULTIPLE_PX, type CollageDocumentJson, type CollageLayerJson } from './document-schema.ts';

/** An imported collage: the document JSON (layer `image` keys are `layers/<id>.png`) and the layer pixels. */
export interface ImportedCollage {
  readonly document: CollageDocumentJson;
  /** Pixels per layer id, written to `layers/<id>.png`. */
  readonly images: ReadonlyMap<string, RgbaImage>;
}

/** A layer of an imported file before ids are assigned. */
export interface ImportedLayer {
  readonly name: string;
  readonly image: RgbaImage;
  readonly fields: Omit<CollageLayerJson, 'id' | 'image' | 'text'>;
}

/**
 * Builds the document: ids from the layer names (lowercase, [a-z0-9_-], made unique), the prompt from their
 * `{id}` placeholders joined by ", " unless one is given.
 */
export function importedCollage(
  width: number,
  height: number,
  layers: readonly ImportedLayer[],
  extra: Partial<CollageDocumentJson> = {},
): ImportedCollage {
  const used = new Set<string>();
  const images = new Map<string, RgbaImage>();
  const docLayers: CollageLayerJson[] = layers.map((layer) => {
    const id = uniqueId(layer.name, used);
    images.set(id, layer.image);
    return { id, image: `layers/${id}.png`, text: layer.name.trim() || id, ...layer.fields };
  });
  const prompt = docLayers.map((l) => `{${l.id}}`).join(', ') || 'a scene';
  return { document: { version: 1, width, height, prompt, layers: docLayers, ...extra }, images };
}

function uniqueId(name: string, used: Set<string>): string {
  const base = name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'layer';
  let id = base;
  for (let k = 2; used.has(id); k++) id = `${base}-${k}`;
  used.add(id);
  return id;
}

/** @throws InputError when the canvas of an imported file cannot be a collage canvas */
export function checkImportedCanvas(width: number, height: number, where: string): void {
  const ok = (v: number) => Number.isInteger(v) && v >= CANVAS_MIN_PX && v <= CANVAS_MAX_PX && v % CANVAS_MULTIPLE_PX === 0;
  if (!ok(width) || !ok(height)) {
    throw new InputError({
      what: `the canvas is ${width}×${height} px`,
      where,
      fix: `resize the canvas to multiples of ${CANVAS_MULTIPLE_PX} between ${CANVAS_MIN_PX} and ${CANVAS_MAX_PX} px (e.g. 512×512) and export again`,
    });
  }
}

/**
 * Writes `<name>.collage.json` and `layers/<id>.png` beside the input file (`scene.psd` → `scene.collage.json`).
 * @returns the paths written, document first
 */
export async function writeImportedCollage(inputPath: string, imported: ImportedCollage): Promise<string[]> {
  const dir = dirname(inputPath);
  const name = basename(inputPath, extname(inputPath)).replace(/\.collage$/, '');
  await mkdir(join(dir, 'layers'), { recursive: true });
  const written: string[] = [];
  for (const [id, image] of imported.images) {
    const path = join(dir, 'layers', `${id}.png`);
    await writePng(path, image);
    written.push(path);
  }
  const docPath = join(dir, `${name}.collage.json`);
  await writeFileAtomic(docPath, new TextEncoder().encode(JSON.stringify(imported.document, null, 2) + '\n'));
  return [docPath, ...written];
}

/** Multiplies an image's alpha by a factor in [0, 1] (layer opacity). */
export function withOpacity(image: RgbaImage, opacity: number): RgbaImage {
  if (opacity >= 1) return image;
  const data = new Uint8Array(image.data);
  for (let i = 3; i < data.length; i += 4) data[i] = Math.round(data[i]! * Math.max(0, opacity));
  return { width: image.width, height: image.height, data };
}
