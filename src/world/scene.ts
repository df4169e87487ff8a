// The Shapes World's scene description and its sampler (world.md "The world"): plain data, no pixels.
// Coordinates are fractions of the canvas (x right, y down), so one scene renders at any size.
import type { Rng } from './rng.ts';

export const SHAPES = ['ball', 'cube', 'cone', 'cylinder', 'pyramid'] as const;
export type Shape = (typeof SHAPES)[number];

export const COLOURS = [
  'red',
  'orange',
  'yellow',
  'green',
  'blue',
  'purple',
  'pink',
  'white',
  'black',
  'brown',
] as const;
export type Colour = (typeof COLOURS)[number];

/** Albedo of each colour, linear-ish RGB in [0, 1]. */
export const COLOUR_RGB: Readonly<Record<Colour, readonly [number, number, number]>> = {
  red: [0.85, 0.12, 0.1],
  orange: [0.95, 0.5, 0.08],
  yellow: [0.95, 0.85, 0.15],
  green: [0.15, 0.62, 0.2],
  blue: [0.12, 0.3, 0.85],
  purple: [0.5, 0.18, 0.7],
  pink: [0.95, 0.5, 0.7],
  white: [0.92, 0.92, 0.92],
  black: [0.07, 0.07, 0.08],
  brown: [0.45, 0.27, 0.12],
};

export const PATTERNS = ['plain', 'striped', 'dotted', 'checkered'] as const;
export type PatternKind = (typeof PATTERNS)[number];

export const GROUNDS = ['grass', 'sand', 'snow', 'water'] as const;
export type Ground = (typeof GROUNDS)[number];

export const TIMES = ['day', 'sunset', 'night'] as const;
export type TimeOfDay = (typeof TIMES)[number];

/** Caption size words; 'medium' is never written. */
export const SIZES = ['small', 'medium', 'big'] as const;
export type SizeWord = (typeof SIZES)[number];

/** Height multiplier of each size word relative to the perspective size at the object's depth. */
export const SIZE_SCALE: Readonly<Record<SizeWord, number>> = { small: 0.7, medium: 1, big: 1.35 };

/** The light of a scene: time of day and where the sun (or moon) stands. */
export interface Lighting {
  readonly time: TimeOfDay;
  /** -1 = light from the left, +1 = from the right. */
  readonly sunSide: -1 | 1;
  /** High sun: short shadows; low: long ones (always low at sunset). */
  readonly sunHigh: boolean;
}

export interface PatternSpec {
  readonly kind: PatternKind;
  /** Cycles per half object width (pattern units span [-1, 1] across the object). */
  readonly frequency: number;
  readonly angleDeg: number;
  /** Colour of the stripes, dots or alternate squares. */
  readonly second: Colour;
}

export interface SceneObject {
  /** Layer id: `${shape}-${index}`, index in painting order. */
  readonly id: string;
  readonly shape: Shape;
  readonly colour: Colour;
  readonly pattern: PatternSpec;
  readonly size: SizeWord;
  /** Horizontal centre, fraction of the canvas width. */
  readonly x: number;
  /** Where the object touches the ground, fraction of the canvas height (larger = nearer). */
  readonly baseY: number;
  /** Object height, fraction of the canvas height (perspective × size word). */
  readonly height: number;
  /** Side of the cube's or pyramid's visible side face: -1 left, +1 right. */
  readonly facing: -1 | 1;
}

export interface Scene {
  /** Horizon height, fraction of the canvas height from the top. */
  readonly horizon: number;
  readonly ground: Ground;
  readonly lighting: Lighting;
  /** Painting order: back (far, high on the canvas) to front (near, low). */
  readonly objects: readonly SceneObject[];
}

/** Height of an object standing at baseY, before the size word: proportional to its distance below the horizon. */
export const PERSPECTIVE_HEIGHT = 0.62;
const MIN_DEPTH = 0.14;
const MAX_OVERLAP = 0.3; // of the smaller bounding box
const OBJECT_COUNT_WEIGHTS = [0.25, 0.3, 0.2, 0.15, 0.1] as const; // 1..5 objects

/** Draws a lighting uniformly (sunset always has a low sun). */
export function sampleLighting(rng: Rng): Lighting {
  const time = rng.pick(TIMES);
  const sunSide = rng.chance(0.5) ? 1 : -1;
  const sunHigh = time === 'sunset' ? false : rng.chance(0.5);
  return { time, sunSide, sunHigh };
}

function samplePattern(rng: Rng, colour: Colour): PatternSpec {
  const kind = rng.pick(PATTERNS);
  const others = COLOURS.filter((c) => c !== colour);
  return {
    kind,
    frequency: rng.range(1, 2.5),
    angleDeg: Math.round(rng.range(0, 180)),
    second: rng.pick(others),
  };
}

function pickCount(rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < OBJECT_COUNT_WEIGHTS.length; i++) {
    u -= OBJECT_COUNT_WEIGHTS[i]!;
    if (u < 0) return i + 1;
  }
  return OBJECT_COUNT_WEIGHTS.length;
}

/** Width of an object's bounding box over its height (matches the geometry in shapes.ts). */
export const SHAPE_ASPECT: Readonly<Record<Shape, number>> = {
  ball: 1,
  cube: 1.03,
  cone: 0.9,
  cylinder: 0.75,
  pyramid: 1.05,
};

interface Box {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

/** Bounding box of an object in canvas fractions (width scaled by the canvas aspect 1 = square). */
export function objectBox(o: Pick<SceneObject, 'shape' | 'x' | 'baseY' | 'height'>): Box {
  const half = (o.height * SHAPE_ASPECT[o.shape]) / 2;
  return { x0: o.x - half, x1: o.x + half, y0: o.baseY - o.height, y1: o.baseY };
}

function overlapFraction(a: Box, b: Box): number {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (w <= 0 || h <= 0) return 0;
  const smaller = Math.min((a.x1 - a.x0) * (a.y1 - a.y0), (b.x1 - b.x0) * (b.y1 - b.y0));
  return (w * h) / smaller;
}

/**
 * Draws a scene: horizon, ground, lighting and 1–5 objects, sorted back to front. Objects overlap at most 30% of the
 * smaller box, so every object stays recognisable (a candidate that overlaps more is redrawn, up to 30 times).
 */
export function sampleScene(rng: Rng): Scene {
  const horizon = rng.range(0.3, 0.55);
  const ground = rng.pick(GROUNDS);
  const lighting = sampleLighting(rng);
  const count = pickCount(rng);
  const placed: Omit<SceneObject, 'id'>[] = [];
  for (let i = 0; i < count; i++) {
    const shape = rng.pick(SHAPES);
    const colour = rng.pick(COLOURS);
    const pattern = samplePattern(rng, colour);
    const size = rng.pick(SIZES);
    const facing = rng.chance(0.5) ? 1 : -1;
    for (let attempt = 0; attempt < 30; attempt++) {
      const baseY = rng.range(horizon + MIN_DEPTH, 0.97);
      const height = Math.min(0.6, PERSPECTIVE_HEIGHT * (baseY - horizon) * SIZE_SCALE[size]);
      const half = (height * SHAPE_ASPECT[shape]) / 2;
      const x = rng.range(Math.max(0.06, half), Math.min(0.94, 1 - half));
      const candidate = { shape, colour, pattern, size, x, baseY, height, facing } as const;
      const box = objectBox(candidate);
      if (placed.every((p) => overlapFraction(objectBox(p), box) <= MAX_OVERLAP)) {
        placed.push(candidate);
        break;
      }
    }
  }
  placed.sort((a, b) => a.baseY - b.baseY);
  const objects = placed.map((o, i) => ({ id: `${o.shape}-${i}`, ...o }));
  return { horizon, ground, lighting, objects };
}
