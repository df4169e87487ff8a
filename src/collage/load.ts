// Reads a collage document and its images from disk (or inline data URIs), reporting every unreadable file at once.
import { access, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { CollageError, type Problem } from '../errors.ts';
import { parseCollageDocument, type CollageDocument, type ImageRef, type LayerId } from './document.ts';
import { FIXES } from './document-schema.ts';
import { decodeLayerImage } from './layer-image.ts';
import type { RgbaImage } from '../io/index.ts';

/** The decoded images of a document. */
export interface CollageImages {
  /** Every layer's image (hidden ones too), by id. */
  readonly layers: ReadonlyMap<LayerId, RgbaImage>;
  /** The background image when `background` is `{ image }`. */
  readonly background?: RgbaImage;
}

/**
 * Reads, parses and validates `*.collage.json`, then decodes its images.
 * @throws CollageError for unreadable JSON, an invalid document, or unreadable images (all listed)
 */
export async function loadCollage(docPath: string): Promise<{ document: CollageDocument; images: CollageImages }> {
  let text: string;
  try {
    text = await readFile(docPath, 'utf8');
  } catch (e) {
    throw new CollageError({ what: `cannot read the document (${errorText(e)})`, where: docPath, fix: 'check the path' });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CollageError({ what: `not valid JSON (${errorText(e)})`, where: docPath, fix: 'fix the JSON syntax' });
  }
  const document = parseCollageDocument(json, docPath);
  return { document, images: await loadCollageImages(document) };
}

/** Decodes every image of a validated document. @throws CollageError listing every unreadable image */
export async function loadCollageImages(document: CollageDocument): Promise<CollageImages> {
  const problems: Problem[] = [];
  const layers = new Map<LayerId, RgbaImage>();
  await Promise.all(
    document.layers.map(async (layer, i) => {
      const where = `${document.where} → layers[${i}].image`;
      const image = await readImageRef(layer.image, where, problems);
      if (image !== undefined) layers.set(layer.id, image);
      if (layer.embedding !== undefined) {
        try {
          await access(layer.embedding, constants.R_OK);
        } catch (e) {
          problems.push({
            what: `cannot read the embedding ${layer.embedding} (${errorText(e)})`,
            where: `${document.where} → layers[${i}].embedding`,
            fix: FIXES['embedding'] ?? '',
          });
        }
      }
    }),
  );
  let background: RgbaImage | undefined;
  if (document.background.kind === 'image') {
    background = await readImageRef(document.background.image, `${document.where} → background.image`, problems);
  }
  if (problems.length > 0) throw new CollageError(problems);
  return background === undefined ? { layers } : { layers, background };
}

/** Decodes one image; on failure records a problem and returns undefined. */
export async function readImageRef(ref: ImageRef, where: string, problems: Problem[]): Promise<RgbaImage | undefined> {
  let bytes: Uint8Array;
  if (ref.kind === 'file') {
    try {
      bytes = await readFile(ref.path);
    } catch (e) {
      problems.push({ what: `cannot read ${ref.path} (${errorText(e)})`, where, fix: FIXES['image'] ?? '' });
      return undefined;
    }
  } else {
    bytes = ref.bytes;
  }
  const name = ref.kind === 'file' ? ref.path : `the inline ${ref.mediaType} image`;
  try {
    const image = await decodeLayerImage(bytes, name);
    if (image.width === 0 || image.height === 0) {
      problems.push({ what: `${name} is ${image.width}×${image.height}`, where, fix: 'use an image with pixels' });
      return undefined;
    }
    return image;
  } catch (e) {
    problems.push({ what: `${name} is not a readable PNG/JPEG/WebP (${errorText(e)})`, where, fix: 'export the layer again as PNG' });
    return undefined;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0]! : String(e);
}
