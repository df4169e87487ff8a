// Layer images decoded with the collage's limits (collage-format.md: document images, importers), through io/'s decoder.
import { decodeImage, type RgbaImage } from '../io/index.ts';
import { InputError } from '../errors.ts';

/** Largest layer image accepted, px: a 24-megapixel photo fits; placement may hold a float copy (16 B/px) of it. */
export const MAX_IMAGE_PIXELS = 6144 * 6144;

/**
 * Decodes PNG / JPEG / WebP bytes to straight-alpha RGBA (formats without alpha become opaque). Accepts images the
 * decoder only warns about; refuses ones over MAX_IMAGE_PIXELS.
 * @throws Error whose message is the decoder's reason; callers word it into a CollageError or InputError with the path
 */
export async function decodeLayerImage(bytes: Uint8Array, where: string): Promise<RgbaImage> {
  try {
    return await decodeImage(bytes, where, { maxPixels: MAX_IMAGE_PIXELS, failOn: 'error' });
  } catch (e) {
    throw e instanceof InputError && e.cause instanceof Error ? e.cause : e;
  }
}
