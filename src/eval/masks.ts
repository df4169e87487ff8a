// Object masks on the canvas, from the scene-lit object rasters: visible coverage, union, part labels.
// The ground truth of where each object is, for the metrics (world.md "Benchmark cases").
import type { ObjectRaster } from '../world/index.ts';

/** Canvas masks of a case's objects. */
export interface CaseMasks {
  readonly width: number;
  readonly height: number;
  /** Per object, painting order: [H, W] visible coverage m_i = coverage_i × Π over nearer j of (1 − coverage_j). */
  readonly visible: readonly Float32Array[];
  /** [H, W] union of all objects' coverage: 1 − Π (1 − coverage_i). */
  readonly union: Float32Array;
  /** [H, W] index of the object that owns the pixel (largest visible coverage ≥ 0.5), -1 for none. */
  readonly owner: Int16Array;
  /** [H, W] part id (world/shapes.ts) of the owning object, -1 for none. */
  readonly part: Int8Array;
}

/**
 * Masks of objects rasterised on a canvas of the given size, nearest last.
 * @param objects rasters in painting order (back to front)
 */
export function caseMasks(objects: readonly ObjectRaster[], width: number, height: number): CaseMasks {
  const n = width * height;
  const coverage = objects.map((o) => {
    const full = new Float32Array(n);
    for (let j = 0; j < o.height; j++)
      full.set(o.coverage.subarray(j * o.width, (j + 1) * o.width), (o.y0 + j) * width + o.x0);
    return full;
  });
  const visible: Float32Array[] = [];
  const hidden = new Float32Array(n).fill(1); // Π (1 − coverage) of objects nearer than the current one
  for (let i = objects.length - 1; i >= 0; i--) {
    const cov = coverage[i]!;
    const vis = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      vis[k] = cov[k]! * hidden[k]!;
      hidden[k] = hidden[k]! * (1 - cov[k]!);
    }
    visible[i] = vis;
  }
  const union = new Float32Array(n);
  for (let k = 0; k < n; k++) union[k] = 1 - hidden[k]!;
  const owner = new Int16Array(n).fill(-1);
  const part = new Int8Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    let best = 0.5;
    for (let i = 0; i < objects.length; i++) {
      if (visible[i]![k]! >= best) {
        best = visible[i]![k]!;
        owner[k] = i;
      }
    }
  }
  objects.forEach((o, i) => {
    for (let j = 0; j < o.height; j++) {
      for (let x = 0; x < o.width; x++) {
        const k = (o.y0 + j) * width + o.x0 + x;
        if (owner[k] === i) part[k] = o.part[j * o.width + x]!;
      }
    }
  });
  return { width, height, visible, union, owner, part };
}

/**
 * Erodes a binary mask by one pixel (4-neighbourhood): keeps only pixels whose neighbours are also set, so edge
 * pixels, which mix object and background, stay out of colour statistics.
 * @param mask [H, W] 1 = set
 */
export function erode(mask: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const k = y * width + x;
      out[k] = mask[k]! & mask[k - 1]! & mask[k + 1]! & mask[k - width]! & mask[k + width]!;
    }
  }
  return out;
}
