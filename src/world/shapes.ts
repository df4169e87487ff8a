// Analytic 2-D geometry of the five shapes (world.md "Objects"): which visible part a canvas point hits, and the
// surface normal and pattern coordinates there. An oblique "toy" projection: cheap, exact, and reads as 3-D.
import { assertNever } from '../errors.ts';
import type { Rgb } from './lighting.ts';
import type { SceneObject } from './scene.ts';

/** A parallelogram (s, t in [0,1]²) or triangle (s, t ≥ 0, s + t ≤ 1) face: point = origin + s·e1 + t·e2. */
interface Face {
  readonly ox: number;
  readonly oy: number;
  /** Inverse of [e1 e2]. */
  readonly i00: number;
  readonly i01: number;
  readonly i10: number;
  readonly i11: number;
  readonly triangle: boolean;
  readonly normal: Rgb;
}

type Geometry =
  | { readonly kind: 'ball'; readonly cx: number; readonly cy: number; readonly r: number }
  | { readonly kind: 'faces'; readonly faces: readonly Face[] }
  | {
      readonly kind: 'cylinder';
      readonly cx: number;
      readonly r: number;
      readonly yTop: number;
      readonly yBottom: number;
      readonly ry: number;
    }
  | {
      readonly kind: 'cone';
      readonly cx: number;
      readonly r: number;
      readonly yApex: number;
      readonly yBase: number;
      readonly ry: number;
      readonly cosSlope: number;
      readonly sinSlope: number;
    };

/** An object placed on a canvas of a given size: bounding box (px), geometry, pattern scale. */
export interface PlacedShape {
  /** Bounding box in canvas px, integer, not clipped to the canvas: [x0, x1) × [y0, y1). */
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  /** Canvas px per pattern unit (half the object width). */
  readonly unitPx: number;
  readonly geometry: Geometry;
}

function unit(x: number, y: number, z: number): Rgb {
  const n = Math.hypot(x, y, z);
  return [x / n, y / n, z / n];
}

function face(
  ox: number,
  oy: number,
  e1x: number,
  e1y: number,
  e2x: number,
  e2y: number,
  triangle: boolean,
  normal: Rgb,
): Face {
  const det = e1x * e2y - e2x * e1y;
  return { ox, oy, i00: e2y / det, i01: -e2x / det, i10: -e1y / det, i11: e1x / det, triangle, normal };
}

function cubeFaces(cx: number, by: number, h: number, f: number): Face[] {
  const a = h / 1.3; // front face side; the top face adds 0.3a of height
  const ox = f * 0.35 * a;
  const oy = -0.3 * a;
  const x0 = cx - (a + Math.abs(ox)) / 2 + (f < 0 ? Math.abs(ox) : 0);
  const top = by - a;
  const sideX = f > 0 ? x0 + a : x0;
  return [
    face(x0, top, a, 0, 0, a, false, unit(-f * 0.25, 0.05, 0.97)), // front
    face(x0, top, a, 0, ox, oy, false, unit(0, 1, 0.25)), // top
    face(sideX, top, 0, a, ox, oy, false, unit(f * 0.9, 0.05, 0.42)), // side
  ];
}

function pyramidFaces(cx: number, by: number, h: number, f: number): Face[] {
  const w = 1.05 * h;
  const apexX = cx + f * 0.12 * w;
  const apexY = by - h;
  const frontX = cx + f * 0.18 * w;
  const sideY = by - 0.12 * h;
  const leftX = cx - w / 2;
  const rightX = cx + w / 2;
  // The face on the `facing` side is narrower, so it turns further from the viewer.
  const near = unit(-f * 0.45, 0.45, 0.77);
  const far = unit(f * 0.8, 0.45, 0.4);
  const leftNormal = f > 0 ? near : far;
  const rightNormal = f > 0 ? far : near;
  return [
    face(frontX, by, leftX - frontX, sideY - by, apexX - frontX, apexY - by, true, leftNormal),
    face(frontX, by, rightX - frontX, sideY - by, apexX - frontX, apexY - by, true, rightNormal),
  ];
}

/**
 * Places an object on a canvas.
 * @param widthPx, heightPx canvas size; object sizes scale with the height, so non-square canvases keep shapes round
 */
export function placeShape(o: SceneObject, widthPx: number, heightPx: number): PlacedShape {
  const cx = o.x * widthPx;
  const by = o.baseY * heightPx;
  const h = o.height * heightPx;
  let geometry: Geometry;
  let halfWidth: number;
  switch (o.shape) {
    case 'ball':
      geometry = { kind: 'ball', cx, cy: by - h / 2, r: h / 2 };
      halfWidth = h / 2;
      break;
    case 'cube':
      geometry = { kind: 'faces', faces: cubeFaces(cx, by, h, o.facing) };
      halfWidth = (h / 1.3) * 0.675;
      break;
    case 'pyramid':
      geometry = { kind: 'faces', faces: pyramidFaces(cx, by, h, o.facing) };
      halfWidth = 0.525 * h;
      break;
    case 'cylinder': {
      const r = 0.375 * h;
      const ry = 0.25 * r;
      geometry = { kind: 'cylinder', cx, r, ry, yTop: by - h + ry, yBottom: by - ry };
      halfWidth = r;
      break;
    }
    case 'cone': {
      const r = 0.45 * h;
      const ry = 0.22 * r;
      const slope = Math.atan2(r, h - ry); // the side's normal tilts up by this angle
      geometry = {
        kind: 'cone',
        cx,
        r,
        ry,
        yApex: by - h,
        yBase: by - ry,
        cosSlope: Math.cos(slope),
        sinSlope: Math.sin(slope),
      };
      halfWidth = r;
      break;
    }
    default:
      return assertNever(o.shape);
  }
  const margin = 0.56 * h; // ≥ half of the widest aspect (1.05) plus a pixel's slack below
  return {
    x0: Math.floor(cx - margin) - 1,
    x1: Math.ceil(cx + margin) + 1,
    y0: Math.floor(by - h) - 1,
    y1: Math.ceil(by) + 1,
    unitPx: Math.max(halfWidth, 1e-6),
    geometry,
  };
}

function faceCoords(fc: Face, x: number, y: number, out: Float64Array): boolean {
  const dx = x - fc.ox;
  const dy = y - fc.oy;
  const s = fc.i00 * dx + fc.i01 * dy;
  const t = fc.i10 * dx + fc.i11 * dy;
  out[3] = s;
  out[4] = t;
  if (s < 0 || t < 0) return false;
  return fc.triangle ? s + t <= 1 : s <= 1 && t <= 1;
}

const scratch = new Float64Array(5);

/** The visible part hit at canvas point (x, y), or -1. Parts: ball 0; faces in order; cylinder 0 side, 1 top; cone 0. */
export function hitPart(p: PlacedShape, x: number, y: number): number {
  const g = p.geometry;
  switch (g.kind) {
    case 'ball': {
      const dx = x - g.cx;
      const dy = y - g.cy;
      return dx * dx + dy * dy <= g.r * g.r ? 0 : -1;
    }
    case 'faces':
      for (let i = 0; i < g.faces.length; i++) if (faceCoords(g.faces[i]!, x, y, scratch)) return i;
      return -1;
    case 'cylinder': {
      const q = (x - g.cx) / g.r;
      if (q < -1 || q > 1) return -1;
      const e = g.ry * Math.sqrt(1 - q * q);
      if (y >= g.yTop - e && y <= g.yTop + e) return 1;
      return y > g.yTop && y <= g.yBottom + e ? 0 : -1;
    }
    case 'cone': {
      if (y < g.yApex) return -1;
      let half: number;
      if (y <= g.yBase) half = (g.r * (y - g.yApex)) / (g.yBase - g.yApex);
      else {
        const k = (y - g.yBase) / g.ry;
        if (k > 1) return -1;
        half = g.r * Math.sqrt(1 - k * k);
      }
      return Math.abs(x - g.cx) <= half ? 0 : -1;
    }
    default:
      return assertNever(g);
  }
}

/**
 * Normal and pattern coordinates of part `part` at (x, y), written to out = [nx, ny, nz, u, v]
 * (normal: unit, y up; u, v about [-1, 1] across the object).
 */
export function surfaceAt(p: PlacedShape, part: number, x: number, y: number, out: Float64Array): void {
  const g = p.geometry;
  const TWO_OVER_PI = 2 / Math.PI;
  switch (g.kind) {
    case 'ball': {
      const nx = (x - g.cx) / g.r;
      const ny = (g.cy - y) / g.r;
      const nz = Math.sqrt(Math.max(0, 1 - nx * nx - ny * ny));
      out[0] = nx;
      out[1] = ny;
      out[2] = nz;
      out[3] = Math.atan2(nx, nz) * TWO_OVER_PI;
      out[4] = Math.asin(Math.max(-1, Math.min(1, ny))) * TWO_OVER_PI;
      return;
    }
    case 'faces': {
      const fc = g.faces[part]!;
      faceCoords(fc, x, y, out);
      out[0] = fc.normal[0];
      out[1] = fc.normal[1];
      out[2] = fc.normal[2];
      out[3] = 2 * out[3]! - 1;
      out[4] = 2 * out[4]! - 1;
      return;
    }
    case 'cylinder': {
      const q = Math.max(-1, Math.min(1, (x - g.cx) / g.r));
      if (part === 1) {
        out[0] = 0;
        out[1] = 1;
        out[2] = 0;
        out[3] = q;
        out[4] = (y - g.yTop) / g.r;
      } else {
        out[0] = q;
        out[1] = 0;
        out[2] = Math.sqrt(1 - q * q);
        out[3] = Math.asin(q) * TWO_OVER_PI;
        out[4] = (y - g.yTop) / g.r - 1;
      }
      return;
    }
    case 'cone': {
      const half = y <= g.yBase ? (g.r * (y - g.yApex)) / (g.yBase - g.yApex) : g.r;
      const q = half > 1e-9 ? Math.max(-1, Math.min(1, (x - g.cx) / half)) : 0;
      out[0] = q * g.cosSlope;
      out[1] = g.sinSlope;
      out[2] = Math.sqrt(1 - q * q) * g.cosSlope;
      out[3] = Math.asin(q) * TWO_OVER_PI;
      out[4] = (y - g.yApex) / g.r - 1;
      return;
    }
    default:
      return assertNever(g);
  }
}
