// The light rig of a time of day and sun position (world.md "Light"): sky gradient, sun colour and direction,
// ambient light, shadow strength and length. Pure numbers; render.ts and shapes.ts use them.
import { assertNever } from '../errors.ts';
import type { Ground, Lighting } from './scene.ts';

export type Rgb = readonly [number, number, number];

export interface LightRig {
  /** Unit vector towards the light; x right, y up, z towards the viewer. */
  readonly direction: Rgb;
  /** Direct light, colour × strength, multiplies albedo × max(0, n·L). */
  readonly sun: Rgb;
  /** Ambient light, colour × strength, multiplies albedo. */
  readonly ambient: Rgb;
  readonly skyTop: Rgb;
  readonly skyHorizon: Rgb;
  /** Colour of the sun or moon disc in the sky. */
  readonly disc: Rgb;
  /** Disc radius, fraction of the canvas width. */
  readonly discRadius: number;
  /** How much a full shadow darkens the ground, in [0, 1]. */
  readonly shadowOpacity: number;
  /** Shadow length in object widths, cast away from the light. */
  readonly shadowLength: number;
}

// Light colours are kept moderately tinted on purpose: the appearance metric (eval/appearance-fidelity.ts) forgives
// a per-channel gain only within a bounded tint, so relighting stays forgiven while a colour swap is not.
interface TimeRig {
  readonly sunColour: Rgb;
  readonly sunStrength: number;
  readonly ambient: Rgb;
  readonly skyTop: Rgb;
  readonly skyHorizon: Rgb;
  readonly disc: Rgb;
  readonly discRadius: number;
  readonly shadowOpacity: number;
}

const TIME_RIGS: Readonly<Record<Lighting['time'], TimeRig>> = {
  day: {
    sunColour: [1, 0.97, 0.9],
    sunStrength: 0.85,
    ambient: [0.3, 0.33, 0.4],
    skyTop: [0.22, 0.45, 0.85],
    skyHorizon: [0.68, 0.82, 0.97],
    disc: [1, 0.98, 0.85],
    discRadius: 0.045,
    shadowOpacity: 0.55,
  },
  sunset: {
    sunColour: [1, 0.78, 0.58],
    sunStrength: 0.8,
    ambient: [0.32, 0.25, 0.3],
    skyTop: [0.2, 0.2, 0.45],
    skyHorizon: [0.98, 0.55, 0.3],
    disc: [1, 0.62, 0.3],
    discRadius: 0.07,
    shadowOpacity: 0.45,
  },
  night: {
    sunColour: [0.7, 0.78, 1],
    sunStrength: 0.5,
    ambient: [0.14, 0.16, 0.24],
    skyTop: [0.02, 0.03, 0.1],
    skyHorizon: [0.1, 0.13, 0.27],
    disc: [0.9, 0.92, 0.85],
    discRadius: 0.035,
    shadowOpacity: 0.35,
  },
};

function scale(c: Rgb, s: number): Rgb {
  return [c[0] * s, c[1] * s, c[2] * s];
}

/** The light rig of a lighting: elevation 55° (high) or 18° (low), azimuth from sunSide. */
export function lightRig(lighting: Lighting): LightRig {
  const rig = TIME_RIGS[lighting.time];
  const elevation = ((lighting.sunHigh ? 55 : 18) * Math.PI) / 180;
  const x = lighting.sunSide * Math.cos(elevation) * 0.85;
  const y = Math.sin(elevation);
  const z = Math.cos(elevation) * 0.5;
  const n = Math.hypot(x, y, z);
  return {
    direction: [x / n, y / n, z / n],
    sun: scale(rig.sunColour, rig.sunStrength),
    ambient: rig.ambient,
    skyTop: rig.skyTop,
    skyHorizon: rig.skyHorizon,
    disc: rig.disc,
    discRadius: rig.discRadius,
    shadowOpacity: rig.shadowOpacity,
    shadowLength: lighting.sunHigh ? 0.35 : 0.95,
  };
}

/** Albedo of each ground. Water also mirrors the sky (render.ts). */
export function groundAlbedo(ground: Ground): Rgb {
  switch (ground) {
    case 'grass':
      return [0.3, 0.55, 0.2];
    case 'sand':
      return [0.85, 0.74, 0.5];
    case 'snow':
      return [0.93, 0.95, 0.98];
    case 'water':
      return [0.12, 0.3, 0.45];
    default:
      return assertNever(ground);
  }
}
