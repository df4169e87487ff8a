// Places a layer image on the canvas (collage-format.md: scale about the top-left, rotation about the layer
// centre, then x, y): inverse-mapped bilinear sampling of premultiplied colour, so edges fade without halos.
import { premultiply, type PlacedLayer, type RgbaImage } from './raster.ts';

/** Where a layer lands on the canvas. */
export interface LayerPlacement {
  /** Top-left of the scaled, unrotated layer, canvas px. */
  readonly xPx: number;
  readonly yPx: number;
  /** Uniform scale (1 = one source px per canvas px). */
  readonly scale: number;
  /** Degrees, clockwise on screen (y down), about the centre of the scaled layer. */
  readonly rotationDeg: number;
}

/**
 * Resamples a layer onto a transparent canvas. Upscaling and mild downscaling are bilinear; below scale 1/2 the
 * source is first box-averaged by k = floor(1/scale) (premultiplied), so minification does not alias.
 * @param image straight-alpha RGBA source
 * @returns premultiplied colour [H*W*3] and alpha [H*W] at canvas size width × height
 */
export function placeLayer(image: RgbaImage, placement: LayerPlacement, width: number, height: number): PlacedLayer {
  const color = new Float32Array(width * height * 3);
  const alpha = new Float32Array(width * height);
  const { scale: s, xPx, yPx } = placement;
  if (image.width === 0 || image.height === 0 || !(s > 0)) return { width, height, color, alpha };
  const k = s < 0.5 ? Math.floor(1 / s) : 1;
  const full = premultiply(image);
  const src = k > 1 ? boxReduce(full, image.width, image.height, k) : full;
  const rw = Math.ceil(image.width / k);
  const rh = Math.ceil(image.height / k);

  const theta = (placement.rotationDeg * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const cx = (image.width * s) / 2;
  const cy = (image.height * s) / 2;
  const box = canvasBounds(xPx, yPx, cx, cy, cos, sin, width, height);
  // Inverse map, canvas point P → source px u: u = (c + Rᵀ(P − (x, y) − c)) / s, then to reduced pixel centres.
  const inv = 1 / (s * k);
  for (let py = box.y0; py < box.y1; py++) {
    const qy = py + 0.5 - yPx - cy;
    for (let px = box.x0; px < box.x1; px++) {
      const qx = px + 0.5 - xPx - cx;
      const u = (cx + cos * qx + sin * qy) * inv - 0.5;
      const v = (cy - sin * qx + cos * qy) * inv - 0.5;
      if (u <= -1 || v <= -1 || u >= rw || v >= rh) continue;
      const u0 = Math.floor(u);
      const v0 = Math.floor(v);
      const fu = u - u0;
      const fv = v - v0;
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let dy = 0; dy < 2; dy++) {
        const sy = v0 + dy;
        if (sy < 0 || sy >= rh) continue;
        const wy = dy === 0 ? 1 - fv : fv;
        for (let dx = 0; dx < 2; dx++) {
          const sx = u0 + dx;
          if (sx < 0 || sx >= rw) continue;
          const w = wy * (dx === 0 ? 1 - fu : fu);
          if (w === 0) continue;
          const o = (sy * rw + sx) * 4;
          r += w * src[o]!;
          g += w * src[o + 1]!;
          b += w * src[o + 2]!;
          a += w * src[o + 3]!;
        }
      }
      const p = py * width + px;
      color[p * 3] = r;
      color[p * 3 + 1] = g;
      color[p * 3 + 2] = b;
      alpha[p] = a;
    }
  }
  return { width, height, color, alpha };
}

/** Canvas pixel box [x0, x1) × [y0, y1) that can receive any of the layer, clipped to the canvas. */
function canvasBounds(
  xPx: number,
  yPx: number,
  cx: number,
  cy: number,
  cos: number,
  sin: number,
  width: number,
  height: number,
): { x0: number; x1: number; y0: number; y1: number } {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [lx, ly] of [
    [-cx, -cy],
    [cx, -cy],
    [-cx, cy],
    [cx, cy],
  ] as const) {
    const X = xPx + cx + cos * lx - sin * ly;
    const Y = yPx + cy + sin * lx + cos * ly;
    minX = Math.min(minX, X);
    maxX = Math.max(maxX, X);
    minY = Math.min(minY, Y);
    maxY = Math.max(maxY, Y);
  }
  const clamp = (v: number, hi: number): number => Math.min(hi, Math.max(0, v));
  return {
    x0: clamp(Math.floor(minX) - 1, width),
    x1: clamp(Math.ceil(maxX) + 1, width),
    y0: clamp(Math.floor(minY) - 1, height),
    y1: clamp(Math.ceil(maxY) + 1, height),
  };
}

/** Box-averages premultiplied RGBA by k × k (pixels past the edge count as transparent). @returns [ceil(h/k)*ceil(w/k)*4] */
function boxReduce(src: Float32Array, w: number, h: number, k: number): Float32Array {
  const rw = Math.ceil(w / k);
  const rh = Math.ceil(h / k);
  const out = new Float32Array(rw * rh * 4);
  const norm = 1 / (k * k);
  for (let y = 0; y < h; y++) {
    const row = Math.floor(y / k) * rw;
    for (let x = 0; x < w; x++) {
      const o = (row + Math.floor(x / k)) * 4;
      const i = (y * w + x) * 4;
      out[o] = out[o]! + src[i]! * norm;
      out[o + 1] = out[o + 1]! + src[i + 1]! * norm;
      out[o + 2] = out[o + 2]! + src[i + 2]! * norm;
      out[o + 3] = out[o + 3]! + src[i + 3]! * norm;
    }
  }
  return out;
}

/** Placement that makes an image cover the canvas, centred (CSS `object-fit: cover`). */
export function coverPlacement(imageWidth: number, imageHeight: number, width: number, height: number): LayerPlacement {
  const scale = Math.max(width / imageWidth, height / imageHeight);
  return { xPx: (width - imageWidth * scale) / 2, yPx: (height - imageHeight * scale) / 2, scale, rotationDeg: 0 };
}
