// PNG text chunks (PNG spec §11.3.4: tEXt, zTXt, iTXt), inserted after IHDR of an encoded PNG and read back.
// sharp cannot write arbitrary text chunks, so metadata (prompt, seed, collage JSON) is spliced in here.
import { inflateSync } from 'node:zlib';

const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of the PNG spec (ISO 3309), over chunk type + data. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** tEXt when key and value are Latin-1, else iTXt (UTF-8, uncompressed). Keywords are 1–79 Latin-1 characters. */
function textChunk(key: string, value: string): Uint8Array {
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(key)) throw new RangeError(`PNG text key ${JSON.stringify(key)} must be 1–79 printable Latin-1 characters`);
  const latin1 = [...value].every((c) => c.charCodeAt(0) <= 0xff && c !== '\0');
  if (latin1) return chunk('tEXt', Buffer.from(`${key}\x00${value}`, 'latin1'));
  const head = Buffer.from(`${key}\x00\x00\x00\x00\x00`, 'latin1'); // keyword, no compression, method 0, no language, no translation
  return chunk('iTXt', Buffer.concat([head, Buffer.from(value, 'utf8')]));
}

function isPng(png: Uint8Array): boolean {
  return png.length >= 8 && SIGNATURE.every((b, i) => png[i] === b);
}

/** Inserts text chunks right after IHDR (readers see them before the image data). */
export function insertPngText(png: Uint8Array, text: Readonly<Record<string, string>>): Uint8Array {
  if (!isPng(png)) throw new RangeError('not a PNG stream');
  const ihdrEnd = 8 + 12 + new DataView(png.buffer, png.byteOffset).getUint32(8);
  const chunks = Object.entries(text).map(([k, v]) => textChunk(k, v));
  return Buffer.concat([png.subarray(0, ihdrEnd), ...chunks, png.subarray(ihdrEnd)]);
}

/**
 * Reads all tEXt, zTXt and iTXt chunks of a PNG stream (later chunks win on repeated keys).
 * @returns key → value, {} for a PNG without text
 * @throws RangeError when the bytes are not a PNG or a chunk runs past the end
 */
export function extractPngText(png: Uint8Array): Record<string, string> {
  if (!isPng(png)) throw new RangeError('not a PNG file (bad signature)');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Record<string, string> = {};
  for (let at = 8; at + 8 <= png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    if (at + 12 + length > png.length) throw new RangeError(`chunk ${type} at byte ${at} runs past the end of the file`);
    const zero = data.indexOf(0);
    if (zero > 0 && (type === 'tEXt' || type === 'zTXt' || type === 'iTXt')) {
      const key = Buffer.from(data.subarray(0, zero)).toString('latin1');
      if (type === 'tEXt') out[key] = Buffer.from(data.subarray(zero + 1)).toString('latin1');
      else if (type === 'zTXt') out[key] = inflateSync(data.subarray(zero + 2)).toString('latin1');
      else {
        const compressed = data[zero + 1] === 1;
        const languageEnd = data.indexOf(0, zero + 3);
        const translatedEnd = data.indexOf(0, languageEnd + 1);
        const body = data.subarray(translatedEnd + 1);
        out[key] = (compressed ? inflateSync(body) : Buffer.from(body)).toString('utf8');
      }
    }
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return out;
}
