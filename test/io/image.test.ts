import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../../src/io/atomic.ts';
import { decodeImage, encodePng, imageToFloat, imageToUint8, pngDataUri, readImage, readImageFloat, readPngText, writePng, type RgbaImage } from '../../src/io/image.ts';
import { crc32, extractPngText } from '../../src/io/png-text.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'image-test-'));
}

/** 3×2 image: red, green, blue / white, half-transparent black, fully transparent grey. */
const IMAGE: RgbaImage = {
  width: 3,
  height: 2,
  data: Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0, 128, 77, 77, 77, 0]),
};

test('PNG write → read returns the exact RGBA pixels, straight alpha kept', async () => {
  const dir = tmp();
  try {
    const path = join(dir, 'out.png');
    await writePng(path, IMAGE);
    const back = await readImage(path);
    assert.deepEqual([back.width, back.height], [3, 2]);
    assert.deepEqual([...back.data], [...IMAGE.data]);
    const float = await readImageFloat(path);
    assert.equal(float.data[19], Math.fround(128 / 255));
    assert.deepEqual([...imageToUint8(imageToFloat(back)).data], [...IMAGE.data]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PNG text chunks round-trip: tEXt for Latin-1, iTXt for other text, JSON intact', async () => {
  const dir = tmp();
  try {
    const path = join(dir, 'meta.png');
    const text = { prompt: 'a red car, café', seed: '42', collage: JSON.stringify({ layers: [{ text: 'ネコ 🐱' }] }) };
    await writePng(path, IMAGE, text);
    assert.deepEqual(await readPngText(path), text);
    const bytes = readFileSync(path);
    assert.ok(bytes.includes(Buffer.from('tEXtprompt')) && bytes.includes(Buffer.from('iTXtcollage')));
    // Another decoder (libvips) still reads the image and sees the chunks as valid.
    const meta = await sharp(bytes).metadata();
    assert.deepEqual([meta.width, meta.height, meta.format], [3, 2, 'png']);
    assert.deepEqual((meta.comments ?? []).map((c) => c.keyword).sort(), ['collage', 'prompt', 'seed']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a PNG data URI carries the exact RGBA pixels after its data:image/png;base64 prefix', async () => {
  const uri = await pngDataUri(IMAGE);
  const prefix = 'data:image/png;base64,';
  assert.equal(uri.slice(0, prefix.length), prefix);
  const back = await decodeImage(Buffer.from(uri.slice(prefix.length), 'base64'), 'the data URI');
  assert.deepEqual([back.width, back.height, ...back.data], [3, 2, ...IMAGE.data]);
});

test('CRC-32 matches the PNG reference value of "IEND"', () => {
  assert.equal(crc32(Buffer.from('IEND')), 0xae426082);
});

test('JPEG and WebP decode to RGBA with opaque alpha', async () => {
  const dir = tmp();
  try {
    const rgb = { raw: { width: 8, height: 8, channels: 3 as const } };
    const pixels = Buffer.alloc(8 * 8 * 3, 200);
    writeFileSync(join(dir, 'a.jpg'), await sharp(pixels, rgb).jpeg({ quality: 100 }).toBuffer());
    writeFileSync(join(dir, 'a.webp'), await sharp(pixels, rgb).webp({ lossless: true }).toBuffer());
    for (const name of ['a.jpg', 'a.webp']) {
      const image = await readImage(join(dir, name));
      assert.equal(image.data.length, 8 * 8 * 4);
      assert.ok(Math.abs(image.data[0]! - 200) <= 1, `${name} ${image.data[0]}`);
      assert.equal(image.data[3], 255);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreadable or corrupt image is an InputError naming the file and the fix', async () => {
  const dir = tmp();
  try {
    const corrupt = join(dir, 'corrupt.png');
    writeFileSync(corrupt, Buffer.concat([(await encodePng(IMAGE)).subarray(0, 30)]));
    for (const [path, part] of [[corrupt, 'not a readable image'], [join(dir, 'missing.png'), 'ENOENT']] as const) {
      await assert.rejects(readImage(path), (e: unknown) => {
        assert.ok(e instanceof Error && e.name === 'InputError', String(e));
        assert.ok(e.message.includes(path) && e.message.includes(part) && e.message.includes('fix:'), e.message);
        return true;
      });
    }
    const notPng = join(dir, 'a.txt');
    writeFileSync(notPng, 'hello');
    await assert.rejects(readPngText(notPng), /a\.txt.*not a PNG/);
    assert.throws(() => extractPngText(Buffer.from('nope')), /not a PNG/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('atomic write replaces the file whole and leaves no temp file, also when the write fails', async () => {
  const dir = tmp();
  try {
    const path = join(dir, 'out.bin');
    await writeFileAtomic(path, Buffer.from('old'));
    await writeFileAtomic(path, [Buffer.from('ne'), Buffer.from('w')]);
    assert.equal(readFileSync(path, 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir), ['out.bin']);
    await assert.rejects(writeFileAtomic(join(dir, 'no-such-folder', 'x.bin'), Buffer.from('x')), /no-such-folder.*fix:/);
    // The final rename fails (the target is a non-empty folder): the temp file is removed, the folder untouched.
    const folder = join(dir, 'taken');
    mkdirSync(folder);
    writeFileSync(join(folder, 'keep'), 'k');
    await assert.rejects(writeFileAtomic(folder, [Buffer.from('partial'), Buffer.from('x')]));
    assert.deepEqual(readdirSync(dir).sort(), ['out.bin', 'taken']);
    assert.deepEqual(readdirSync(folder), ['keep']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
