// Places a layer image on the canvas (collage-format.md: scale about the top-left, rotation about the layer
// centre, then x, y): inverse-mapped bilinear sampling of premultiplied colour, so edges fade without halos.
import type { RgbaImage } from '../io/index.ts';
import { premultiply, type PlacedLayer } from './raster.ts';

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
 * Resamples a layer onto a transparent canvas. Upscaling and mild downscaling are bilinear on premultiplied colour;
 * below scale 1/2 the source is first box-averaged by k = floor(1/scale), so minification does not alias.
 * @param image straight-alpha RGBA source
 * @returns premultiplied colour [H*W*3] and alpha [H*W] at canvas size width × height
 */
export function placeLayer(image: RgbaImage, placement: LayerPlacement, width: number, height: number): PlacedLayer {
  const color = new Float32Array(width * height * 3);
  const alpha = new Float32Array(width * height);
  const { scale: s, xPx, yPx } = placement;
  if (image.width === 0 || image.height === 0 || !(s > 0)) return { width, height, color, alpha };
  const k = s < 0.5 ? Math.floor(1 / s) : 1;
  // Reduce straight from the 8-bit pixels: a big photo never needs a full-size float copy when minified.
  const src = k > 1 ? boxReduce(image, k) : premultiply(image);
  const rw = Math.ceil(image.width / k);
  const rh = Math.ceil(image.height / k);

  const theta = (placement.rotationDeg * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const cx = (image.width * s) / 2;
  const cy = (image.height * s) / 2;
  const box = canvasBounds(xPx, yPx, cx, cy, cos, sin, width, height);
  // Inverse map, canvas point P → source px u: u = (c + Rᵀ(P − (x, y) − c)) / s. Colour is sampled bilinearly
  // with edges clamped; the layer's outline is anti-aliased separately by the pixel's coverage of the placed
  // rectangle, clamp(d + 1/2, 0, 1) with d the signed distance (canvas px) of the pixel centre to its border.
  // So a layer keeps its exact area and hard-edged pixels stay exact, at any scale and rotation.
  const invS = 1 / s;
  const { width: w, height: h } = image;
  for (let py = box.y0; py < box.y1; py++) {
    const qy = py + 0.5 - yPx - cy;
    for (let px = box.x0; px < box.x1; px++) {
      const qx = px + 0.5 - xPx - cx;
      const us = (cx + cos * qx + sin * qy) * invS;
      const vs = (cy - sin * qx + cos * qy) * invS;
      const d = Math.min(us, w - us, vs, h - vs) * s;
      if (d <= -0.5) continue;
      const coverage = d >= 0.5 ? 1 : d + 0.5;
      const u = Math.min(rw - 1, Math.max(0, us / k - 0.5));
      const v = Math.min(rh - 1, Math.max(0, vs / k - 0.5));
      const u0 = Math.floor(u);
      const v0 = Math.floor(v);
      const u1 = Math.min(rw - 1, u0 + 1);
      const v1 = Math.min(rh - 1, v0 + 1);
      const fu = u - u0;
      const fv = v - v0;
      const o00 = (v0 * rw + u0) * 4;
      const o01 = (v0 * rw + u1) * 4;
      const o10 = (v1 * rw + u0) * 4;
      const o11 = (v1 * rw + u1) * 4;
      const w00 = (1 - fu) * (1 - fv) * coverage;
      const w01 = fu * (1 - fv) * coverage;
      const w10 = (1 - fu) * fv * coverage;
      const w11 = fu * fv * coverage;
      const p = py * width + px;
      color[p * 3] = w00 * src[o00]! + w01 * src[o01]! + w10 * src[o10]! + w11 * src[o11]!;
      color[p * 3 + 1] = w00 * src[o00 + 1]! + w01 * src[o01 + 1]! + w10 * src[o10 + 1]! + w11 * src[o11 + 1]!;
      color[p * 3 + 2] = w00 * src[o00 + 2]! + w01 * src[o01 + 2]! + w10 * src[o10 + 2]! + w11 * src[o11 + 2]!;
      alpha[p] = w00 * src[o00 + 3]! + w01 * src[o01 + 3]! + w10 * src[o10 + 3]! + w11 * src[o11 + 3]!;
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
function boxReduce(image: RgbaImage, k: number): Float32Array {
  const { width: w, height: h, data } = image;
  const rw = Math.ceil(w / k);
  const rh = Math.ceil(h / k);
  const out = new Float32Array(rw * rh * 4);
  const norm = 1 / (k * k * 255);
  for (let y = 0; y < h; y++) {
    const row = Math.floor(y / k) * rw;
    for (let x = 0; x < w; x++) {
      const o = (row + Math.floor(x / k)) * 4;
      const i = (y * w + x) * 4;
      const a = data[i + 3]! / 255;
      out[o] = out[o]! + data[i]! * a * norm;
      out[o + 1] = out[o + 1]! + data[i + 1]! * a * norm;
      out[o + 2] = out[o + 2]! + data[i + 2]! * a * norm;
      out[o + 3] = out[o + 3]! + data[i + 3]! * norm;
    }
  }
  return out;
}

/** Placement that makes an image cover the canvas, centred (CSS `object-fit: cover`). */
export function coverPlacement(imageWidth: number, imageHeight: number, width: number, height: number): LayerPlacement {
  const scale = Math.max(width / imageWidth, height / imageHeight);
  return { xPx: (width - imageWidth * scale) / 2, yPx: (height - imageHeight * scale) / 2, scale, rotationDeg: 0 };
}
