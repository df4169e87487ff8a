// Surface patterns of the Shapes World (world.md "Objects"): plain, striped, dotted, checkered, anti-aliased
// analytically over the pixel footprint, so they need no extra samples.
import { assertNever } from '../errors.ts';
import type { PatternSpec } from './scene.ts';

/** A pattern with its rotation precomputed. */
export interface PreparedPattern {
  readonly spec: PatternSpec;
  readonly cos: number;
  readonly sin: number;
}

export function preparePattern(spec: PatternSpec): PreparedPattern {
  const a = (spec.angleDeg * Math.PI) / 180;
  return { spec, cos: Math.cos(a), sin: Math.sin(a) };
}

/** Smooth step from 0 (x ≤ -w/2) to 1 (x ≥ w/2): box-filtered edge of width w. */
function edge(x: number, w: number): number {
  const t = x / w + 0.5;
  return t <= 0 ? 0 : t >= 1 ? 1 : t;
}

/** Square wave in [-1, 1] of phase x (cycles), box-filtered over fw cycles. */
function squareWave(x: number, fw: number): number {
  const f = x - Math.floor(x); // [0, 1): +1 on [0, 0.5), -1 on [0.5, 1)
  const d = 0.25 - Math.abs(f - 0.25 - (f >= 0.75 ? 1 : 0)); // signed distance (cycles) to the nearer edge, >0 inside +1 half
  return 2 * edge(d, fw) - 1;
}

/**
 * Weight of the pattern's second colour at surface point (u, v).
 * @param u, v pattern coordinates, about [-1, 1] across the object
 * @param footprint size of one pixel in pattern units (for anti-aliasing)
 * @returns weight in [0, 1]: 0 = main colour, 1 = second colour
 */
export function patternWeight(p: PreparedPattern, u: number, v: number, footprint: number): number {
  const kind = p.spec.kind;
  if (kind === 'plain') return 0;
  const f = p.spec.frequency;
  const s = (u * p.cos + v * p.sin) * f;
  const t = (-u * p.sin + v * p.cos) * f;
  const fw = Math.min(0.5, footprint * f);
  switch (kind) {
    case 'striped':
      return 0.5 - 0.5 * squareWave(s, fw);
    case 'checkered':
      return 0.5 - 0.5 * squareWave(s, fw) * squareWave(t, fw);
    case 'dotted': {
      // Dots of radius 0.3 cycles on a grid shifted by half a cell every other row.
      const row = Math.floor(t);
      const sx = s + (row & 1) * 0.5;
      const dx = sx - Math.floor(sx) - 0.5;
      const dy = t - row - 0.5;
      return edge(0.3 - Math.sqrt(dx * dx + dy * dy), fw);
    }
    default:
      return assertNever(kind);
  }
}
