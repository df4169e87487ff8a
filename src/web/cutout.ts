// The cut-out tools (issue 12): a polygon lasso that keeps what is inside, and a colour-similarity wand that clears a
// plain background. Both write the layer's alpha into a new canvas (the old one stays for undo).

/** A point in the layer's source image, px. */
export interface ImagePoint {
  readonly x: number;
  readonly y: number;
}

/** Keeps the inside of the polygon (anti-aliased edge), clears the rest. @param polygon ≥ 3 points, image px */
export function lassoCut(source: HTMLCanvasElement, polygon: readonly ImagePoint[]): HTMLCanvasElement {
  const out = copyCanvas(source);
  const ctx = out.getContext('2d')!;
  ctx.globalCompositeOperation = 'destination-in';
  ctx.beginPath();
  polygon.forEach((p, i) => (i === 0 ? ctx.moveTo(p.x, p.y) : ctx.lineTo(p.x, p.y)));
  ctx.closePath();
  ctx.fill();
  return out;
}

/**
 * Clears the pixels connected to the seed whose colour is within `tolerance` of the seed's (largest channel
 * difference, 0..255), then softens the new edge by one pixel so the cut does not alias.
 * @param contiguous false = every similar pixel in the image, not only the connected region
 * @returns the new canvas and how many pixels were cleared
 */
export function wandCut(source: HTMLCanvasElement, seed: ImagePoint, tolerance: number, contiguous = true): { canvas: HTMLCanvasElement; cleared: number } {
  const out = copyCanvas(source);
  const ctx = out.getContext('2d')!;
  const { width, height } = out;
  const image = ctx.getImageData(0, 0, width, height);
  const mask = similarRegion(image, Math.floor(seed.x), Math.floor(seed.y), tolerance, contiguous);
  let cleared = 0;
  const data = image.data;
  for (let p = 0; p < width * height; p++) {
    if (mask[p] === 1) {
      if (data[p * 4 + 3]! > 0) cleared++;
      data[p * 4 + 3] = 0;
    }
  }
  // Feather: a kept pixel next to a cleared one keeps half its alpha.
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (mask[p] === 1) continue;
      const touches = (x > 0 && mask[p - 1] === 1) || (x < width - 1 && mask[p + 1] === 1) || (y > 0 && mask[p - width] === 1) || (y < height - 1 && mask[p + width] === 1);
      if (touches) data[p * 4 + 3] = Math.round(data[p * 4 + 3]! * 0.5);
    }
  }
  ctx.putImageData(image, 0, 0);
  return { canvas: out, cleared };
}

/** 1 where a pixel is similar to the seed (and connected to it when `contiguous`). @returns [H*W] */
export function similarRegion(image: ImageData, seedX: number, seedY: number, tolerance: number, contiguous: boolean): Uint8Array {
  const { width, height, data } = image;
  const mask = new Uint8Array(width * height);
  if (seedX < 0 || seedY < 0 || seedX >= width || seedY >= height) return mask;
  const s = (seedY * width + seedX) * 4;
  const [r, g, b] = [data[s]!, data[s + 1]!, data[s + 2]!];
  const similar = (p: number): boolean =>
    data[p * 4 + 3]! > 0 && Math.max(Math.abs(data[p * 4]! - r), Math.abs(data[p * 4 + 1]! - g), Math.abs(data[p * 4 + 2]! - b)) <= tolerance;
  if (!contiguous) {
    for (let p = 0; p < width * height; p++) if (similar(p)) mask[p] = 1;
    return mask;
  }
  const stack = [seedY * width + seedX];
  mask[stack[0]!] = 1;
  while (stack.length > 0) {
    const p = stack.pop()!;
    const x = p % width;
    const neighbours = [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, p - width, p + width];
    for (const q of neighbours) {
      if (q < 0 || q >= width * height || mask[q] === 1 || !similar(q)) continue;
      mask[q] = 1;
      stack.push(q);
    }
  }
  return mask;
}

export function copyCanvas(source: HTMLCanvasElement): HTMLCanvasElement {
  const out = document.createElement('canvas');
  out.width = source.width;
  out.height = source.height;
  out.getContext('2d')!.drawImage(source, 0, 0);
  return out;
}
