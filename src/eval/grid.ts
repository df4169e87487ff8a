// Image grids for reports and docs: equal-size images in rows and columns with white gutters.
import { rgbImage, type RgbImage } from '../world/index.ts';

/**
 * Lays out rows of equal-size images.
 * @param rows each row a list of [h, w, 3] images, all the same size (a missing cell stays white)
 * @param gutterPx white space between cells and around the grid
 * @returns [rows·(h+g)+g, cols·(w+g)+g, 3]
 */
export function imageGrid(rows: readonly (readonly (RgbImage | undefined)[])[], gutterPx = 4): RgbImage {
  const first = rows.flat().find((img) => img !== undefined);
  if (first === undefined) return rgbImage(1, 1);
  const { width: w, height: h } = first;
  const cols = Math.max(...rows.map((r) => r.length));
  const out = rgbImage(cols * (w + gutterPx) + gutterPx, rows.length * (h + gutterPx) + gutterPx);
  out.data.fill(1);
  rows.forEach((row, r) => {
    row.forEach((img, c) => {
      if (img === undefined) return;
      if (img.width !== w || img.height !== h)
        throw new RangeError(`grid cell ${r},${c} is ${img.width}×${img.height}, expected ${w}×${h}`);
      const ox = gutterPx + c * (w + gutterPx);
      const oy = gutterPx + r * (h + gutterPx);
      for (let y = 0; y < h; y++)
        out.data.set(img.data.subarray(y * w * 3, (y + 1) * w * 3), ((oy + y) * out.width + ox) * 3);
    });
  });
  return out;
}
