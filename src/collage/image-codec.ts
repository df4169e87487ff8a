// Decoding and encoding layer images through sharp. Temporary home: io/ owns file formats long-term; this
// file moves to io/image.ts's readImage/writePng once that lands.
import sharp from 'sharp';
import type { RgbaImage } from '../io/index.ts';

/** Largest image accepted, px: a 24-megapixel photo fits; placement may hold a float copy (16 B/px) of it. */
export const MAX_IMAGE_PIXELS = 6144 * 6144;

/**
 * Decodes PNG / JPEG / WebP bytes to straight-alpha RGBA (formats without alpha become opaque).
 * @throws Error from sharp when the bytes are not an image; callers wrap it into a CollageError with the path
 */
export async function decodeImage(bytes: Uint8Array): Promise<RgbaImage> {
  const { data, info } = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`decoded ${info.channels} channels, expected 4`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Encodes straight-alpha RGBA as PNG bytes. */
export async function encodePng(image: RgbaImage): Promise<Uint8Array> {
  const buffer = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } })
    .png()
    .toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}
