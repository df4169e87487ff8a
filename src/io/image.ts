// Images at the io/ edge (style.md "HWC RGBA only at the io/ edge"): PNG/JPEG/WebP → RGBA uint8 (straight alpha)
// or float, PNG out with text metadata (written atomically, or as a data URI), SVG rasterised to PNG. Decoding and
// encoding are sharp's (libvips).
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { InputError } from '../errors.ts';
import { writeFileAtomic } from './atomic.ts';
import { extractPngText, insertPngText } from './png-text.ts';

/** An 8-bit image, HWC RGBA, straight (not premultiplied) alpha. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** [H, W, 4] row-major, RGBA 0–255. */
  readonly data: Uint8Array;
}

/** A float image, HWC RGBA in [0, 1], straight alpha. */
export interface RgbaFloatImage {
  readonly width: number;
  readonly height: number;
  /** [H, W, 4] row-major, RGBA in [0, 1]. */
  readonly data: Float32Array;
}

const IMAGE_FIX = 're-export the image as PNG, JPEG or WebP';

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : String(e);
    throw new InputError({ what: `cannot read the image (${code})`, where: path, fix: 'check the path and its read permission' }, { cause: e });
  }
}

/** How strict `decodeImage` is; the defaults are sharp's. */
export interface DecodeImageOptions {
  /** Largest width × height accepted, px; a larger image is refused before it is decoded. @default 16383² (sharp's limit) */
  readonly maxPixels?: number;
  /**
   * 'warning' also refuses images that libvips only warns about (e.g. a bad ICC profile); 'error' accepts those and
   * refuses only images it cannot decode. @default 'warning'
   */
  readonly failOn?: 'warning' | 'error';
}

/**
 * Decodes image bytes (PNG, JPEG, WebP, … anything libvips reads) to RGBA uint8, EXIF orientation applied, sRGB.
 * @param where the file name for error messages
 * @throws InputError naming `where` when the bytes are not a readable image (the decoder's error is its `cause`)
 */
export async function decodeImage(bytes: Uint8Array, where: string, options: DecodeImageOptions = {}): Promise<RgbaImage> {
  const { maxPixels = 0x3fff * 0x3fff, failOn = 'warning' } = options;
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn })
      .autoOrient()
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`decoded ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new InputError({ what: `not a readable image (${reason})`, where, fix: IMAGE_FIX }, { cause: e });
  }
}

/**
 * Reads an image file as RGBA uint8.
 * @example const { width, height, data } = await readImage('layer.png'); // data.length === width * height * 4
 * @throws InputError naming the file when it is missing, unreadable or corrupt
 */
export async function readImage(path: string): Promise<RgbaImage> {
  return decodeImage(await readBytes(path), path);
}

/** Reads an image file as RGBA float in [0, 1] (value / 255). */
export async function readImageFloat(path: string): Promise<RgbaFloatImage> {
  return imageToFloat(await readImage(path));
}

/** uint8 → float in [0, 1]. */
export function imageToFloat(image: RgbaImage): RgbaFloatImage {
  const data = new Float32Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = image.data[i]! / 255;
  return { width: image.width, height: image.height, data };
}

/** float in [0, 1] → uint8, rounded to nearest and clamped. */
export function imageToUint8(image: RgbaFloatImage): RgbaImage {
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(Math.min(1, Math.max(0, image.data[i]!)) * 255);
  return { width: image.width, height: image.height, data };
}

function checkImage(image: RgbaImage, where: string): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || data.length !== width * height * 4) {
    throw new InputError({ what: `image ${width}×${height} has ${data.length} bytes, RGBA needs ${width * height * 4}`, where, fix: 'pass width, height and HWC RGBA data that agree' });
  }
}

/**
 * Encodes RGBA uint8 as PNG with text chunks (tEXt, or iTXt for non-Latin-1 values).
 * @param text metadata key → value, e.g. { prompt: 'a red car', seed: '42' }
 */
export async function encodePng(image: RgbaImage, text: Readonly<Record<string, string>> = {}): Promise<Uint8Array> {
  checkImage(image, 'encodePng');
  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } }).png().toBuffer();
  return Object.keys(text).length === 0 ? png : insertPngText(png, text);
}

/**
 * The image as a `data:image/png;base64,…` URI: how documents, the server and the editor inline images.
 * @example await pngDataUri({ width: 1, height: 1, data: new Uint8Array([255, 0, 0, 255]) }) // 'data:image/png;base64,iVBOR…'
 */
export async function pngDataUri(image: RgbaImage): Promise<string> {
  return `data:image/png;base64,${Buffer.from(await encodePng(image)).toString('base64')}`;
}

/**
 * Rasterises SVG text to PNG bytes (librsvg through sharp).
 * @param dpi rendering density; 72 = one PNG pixel per SVG unit. @default 144
 */
export async function svgToPng(svg: string, dpi = 144): Promise<Uint8Array> {
  return sharp(Buffer.from(svg), { density: dpi }).png().toBuffer();
}

/** Writes RGBA uint8 as a PNG file atomically, with text metadata. */
export async function writePng(path: string, image: RgbaImage, text: Readonly<Record<string, string>> = {}): Promise<void> {
  await writeFileAtomic(path, await encodePng(image, text));
}

/**
 * The text chunks of a PNG file.
 * @throws InputError naming the file when it is not a PNG
 */
export async function readPngText(path: string): Promise<Record<string, string>> {
  const bytes = await readBytes(path);
  try {
    return extractPngText(bytes);
  } catch (e) {
    throw new InputError({ what: e instanceof Error ? e.message : String(e), where: path, fix: 'pass a PNG file written by collage-diffusion (or any PNG)' }, { cause: e });
  }
}
