import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canvasToImage, compositeOver, imageToCanvas, placeLayer, solidCanvas, visibleMasks, type RgbaImage } from '../../src/collage/index.ts';

function square(size: number, rgb: readonly [number, number, number], alpha: number): RgbaImage {
  const data = new Uint8Array(size * size * 4);
  for (let p = 0; p < size * size; p++) data.set([rgb[0], rgb[1], rgb[2], alpha], p * 4);
  return { width: size, height: size, data };
}
const place = (image: RgbaImage, x: number, y: number) => placeLayer(image, { xPx: x, yPx: y, scale: 1, rotationDeg: 0 }, 8, 8);

test('two overlapping half-transparent squares give the exact visible masks', () => {
  // Red 4×4 at (0,0) below blue 4×4 at (2,2), both α = 128/255: overlap is pixels x,y ∈ {2,3}.
  const a = 128 / 255;
  const masks = visibleMasks([place(square(4, [255, 0, 0], 128), 0, 0), place(square(4, [0, 0, 255], 128), 2, 2)]);
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const inRed = x < 4 && y < 4;
      const inBlue = x >= 2 && x < 6 && y >= 2 && y < 6;
      const expectedRed = inRed ? (inBlue ? a * (1 - a) : a) : 0;
      const expectedBlue = inBlue ? a : 0;
      assert.ok(Math.abs(masks[0]![y * 8 + x]! - expectedRed) < 1e-6, `red mask at ${x},${y}`);
      assert.ok(Math.abs(masks[1]![y * 8 + x]! - expectedBlue) < 1e-6, `blue mask at ${x},${y}`);
    }
  }
});

test('"over" composites bottom to top on the background colour', () => {
  const a = 128 / 255;
  const canvas = compositeOver(solidCanvas(8, 8, [150, 150, 150]), [
    place(square(4, [255, 0, 0], 128), 0, 0),
    place(square(4, [0, 0, 255], 128), 2, 2),
  ]);
  const image = canvasToImage(canvas);
  const px = (x: number, y: number) => [...image.data.slice((y * 8 + x) * 4, (y * 8 + x) * 4 + 4)];
  const g = 150 / 255;
  const red = [a + (1 - a) * g, (1 - a) * g, (1 - a) * g];
  assert.deepEqual(px(0, 0), [...red.map((v) => Math.round(v * 255)), 255]);
  const overlap = [(1 - a) * red[0]!, (1 - a) * red[1]!, a + (1 - a) * red[2]!];
  assert.deepEqual(px(3, 3), [...overlap.map((v) => Math.round(v * 255)), 255]);
  assert.deepEqual(px(7, 7), [150, 150, 150, 255]);
});

test('a rotated layer covers the rotated rectangle’s area within 1%', () => {
  const w = 100;
  const h = 60;
  const image: RgbaImage = { width: w, height: h, data: new Uint8Array(w * h * 4).fill(255) };
  for (const [scale, rotationDeg] of [[1.5, 30], [0.7, 45], [0.3, 110], [2, -17]] as const) {
    const placed = placeLayer(image, { xPx: 150, yPx: 180, scale, rotationDeg }, 512, 512);
    let area = 0;
    let cx = 0;
    let cy = 0;
    placed.alpha.forEach((v, p) => {
      area += v;
      cx += v * ((p % 512) + 0.5);
      cy += v * (Math.floor(p / 512) + 0.5);
    });
    const expected = w * h * scale * scale;
    assert.ok(Math.abs(area / expected - 1) < 0.01, `area ${area} vs ${expected} at scale ${scale}, ${rotationDeg}°`);
    // Rotation is about the layer centre: the centroid stays at (x + w·s/2, y + h·s/2).
    assert.ok(Math.abs(cx / area - (150 + (w * scale) / 2)) < 0.5, `centroid x at ${scale}, ${rotationDeg}°`);
    assert.ok(Math.abs(cy / area - (180 + (h * scale) / 2)) < 0.5, `centroid y at ${scale}, ${rotationDeg}°`);
  }
});

test('positive rotation turns clockwise on screen', () => {
  // A 40×10 bar rotated 90° becomes a 10×40 bar about the same centre (x 50±5, y 50±20).
  const image: RgbaImage = { width: 40, height: 10, data: new Uint8Array(40 * 10 * 4).fill(255) };
  // Mark the bar's left end red: after a clockwise quarter turn it points up.
  for (let y = 0; y < 10; y++) for (let x = 0; x < 5; x++) image.data.set([255, 0, 0, 255], (y * 40 + x) * 4);
  const placed = placeLayer(image, { xPx: 30, yPx: 45, scale: 1, rotationDeg: 90 }, 100, 100);
  assert.ok(placed.alpha[50 * 100 + 50]! > 0.99);
  assert.ok(placed.alpha[32 * 100 + 50]! > 0.99);
  assert.equal(placed.alpha[50 * 100 + 35]!, 0);
  const greenAt = (x: number, y: number) => placed.color[(y * 100 + x) * 3 + 1]!;
  assert.ok(greenAt(50, 32) < 0.01, 'top end is the red end');
  assert.ok(greenAt(50, 67) > 0.99, 'bottom end is white');
});

test('resampling is premultiplied: a transparent neighbour adds no dark halo', () => {
  // White opaque pixel next to a black fully transparent one, upscaled ×4: every partly covered pixel is white.
  const image: RgbaImage = { width: 2, height: 1, data: Uint8Array.from([255, 255, 255, 255, 0, 0, 0, 0]) };
  const placed = placeLayer(image, { xPx: 0, yPx: 0, scale: 4, rotationDeg: 0 }, 8, 4);
  for (let x = 0; x < 8; x++) {
    const a = placed.alpha[4 * 8 + x - 8 * 3]!;
    if (a > 0) assert.ok(Math.abs(placed.color[(x + 8) * 3]! / placed.alpha[x + 8]! - 1) < 1e-6, `pixel ${x} stays white`);
  }
});

test('downscaling by 1/4 keeps the covered area (box prefilter)', () => {
  const image: RgbaImage = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 4).fill(255) };
  const placed = placeLayer(image, { xPx: 10, yPx: 10, scale: 0.25, rotationDeg: 0 }, 64, 64);
  const area = placed.alpha.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(area - 256) < 1e-3, `area ${area}`);
  assert.ok(Math.abs(placed.alpha[(10 + 8) * 64 + 18]! - 1) < 1e-6);
});

test('an image read as a canvas keeps its colour in [0, 1], drops alpha, and writes back to the same bytes', () => {
  const image: RgbaImage = { width: 2, height: 1, data: Uint8Array.from([255, 0, 51, 7, 0, 128, 255, 255]) };
  const canvas = imageToCanvas(image);
  assert.deepEqual([...canvas.rgb].map((v) => Math.round(v * 1000) / 1000), [1, 0, 0.2, 0, 0.502, 1]);
  assert.deepEqual([...canvasToImage(canvas).data], [255, 0, 51, 255, 0, 128, 255, 255]);
});
