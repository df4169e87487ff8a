// The Shapes World renderer (world.md): sky, ground, sun, soft shadows, shaded objects painted back to front.
// Speed (bench/world.bench.ts): the background is constant per row, objects are visited only inside their boxes,
// four sub-samples decide coverage and only pixels on an edge are shaded more than once.
import { COLOUR_RGB, type Lighting, type Scene, type SceneObject } from './scene.ts';
import { groundAlbedo, lightRig, type LightRig, type Rgb } from './lighting.ts';
import { hitPart, placeShape, surfaceAt, type PlacedShape } from './shapes.ts';
import { patternWeight, preparePattern } from './pattern.ts';
import type { RgbaFloatImage } from '../io/index.ts';
import { rgbImage, type RgbImage } from './image.ts';

/** One object rasterised alone, clipped to the canvas: its box, coverage, premultiplied colour and parts. */
export interface ObjectRaster {
  readonly id: string;
  /** Top-left of the box on the canvas, px. */
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
  /** [height, width] fraction of the pixel covered, in [0, 1]. */
  readonly coverage: Float32Array;
  /** [height, width, 3] colour × coverage. */
  readonly premultiplied: Float32Array;
  /** [height, width] visible part id (shapes.ts hitPart), -1 where uncovered. */
  readonly part: Int8Array;
}

// Rotated-grid 2×2 sub-sample offsets from the pixel centre, px.
const SUB_X = [-0.125, 0.375, 0.125, -0.375] as const;
const SUB_Y = [-0.375, -0.125, 0.375, 0.125] as const;

/**
 * The shading function of an object: `shade(p, x, y)` writes into `colour` the colour of part p at canvas point
 * (x, y): albedo × (ambient + sun × max(0, n·L)), the albedo mixed by the pattern. Buffers are reused, not allocated
 * per pixel.
 */
function objectShader(
  o: SceneObject,
  rig: LightRig,
  shape: PlacedShape,
): { shade: (p: number, x: number, y: number) => void; colour: Float64Array } {
  const pattern = preparePattern(o.pattern);
  const c1 = COLOUR_RGB[o.colour];
  const c2 = COLOUR_RGB[o.pattern.second];
  const [lx, ly, lz] = rig.direction;
  const footprint = 1 / shape.unitPx;
  const surface = new Float64Array(5);
  const colour = new Float64Array(3);
  const shade = (p: number, x: number, y: number): void => {
    surfaceAt(shape, p, x, y, surface);
    const lambert = Math.max(0, surface[0]! * lx + surface[1]! * ly + surface[2]! * lz);
    const m = patternWeight(pattern, surface[3]!, surface[4]!, footprint);
    for (let c = 0; c < 3; c++) {
      const albedo = c1[c]! + (c2[c]! - c1[c]!) * m;
      colour[c] = albedo * (rig.ambient[c]! + rig.sun[c]! * lambert);
    }
  };
  return { shade, colour };
}

/**
 * Rasterises one object under a light rig, with no shadow.
 * @param widthPx, heightPx canvas size
 */
export function rasterizeObject(
  o: SceneObject,
  rig: LightRig,
  widthPx: number,
  heightPx: number,
): ObjectRaster {
  const shape = placeShape(o, widthPx, heightPx);
  const x0 = Math.max(0, shape.x0);
  const y0 = Math.max(0, shape.y0);
  const width = Math.max(0, Math.min(widthPx, shape.x1) - x0);
  const height = Math.max(0, Math.min(heightPx, shape.y1) - y0);
  const coverage = new Float32Array(width * height);
  const premultiplied = new Float32Array(width * height * 3);
  const part = new Int8Array(width * height).fill(-1);
  const { shade, colour } = objectShader(o, rig, shape);
  const hits = new Int8Array(4);

  for (let j = 0; j < height; j++) {
    const cy = y0 + j + 0.5;
    for (let i = 0; i < width; i++) {
      const cx = x0 + i + 0.5;
      let covered = 0;
      for (let s = 0; s < 4; s++) {
        hits[s] = hitPart(shape, cx + SUB_X[s]!, cy + SUB_Y[s]!);
        if (hits[s]! >= 0) covered++;
      }
      if (covered === 0) continue;
      const k = j * width + i;
      const h0 = hits[0]!;
      if (covered === 4 && hits[1] === h0 && hits[2] === h0 && hits[3] === h0) {
        shade(h0, cx, cy);
        premultiplied[k * 3] = colour[0]!;
        premultiplied[k * 3 + 1] = colour[1]!;
        premultiplied[k * 3 + 2] = colour[2]!;
        coverage[k] = 1;
        part[k] = h0;
        continue;
      }
      let r = 0;
      let g = 0;
      let b = 0;
      for (let s = 0; s < 4; s++) {
        const p = hits[s]!;
        if (p < 0) continue;
        if (part[k] === -1) part[k] = p;
        shade(p, cx + SUB_X[s]!, cy + SUB_Y[s]!);
        r += colour[0]!;
        g += colour[1]!;
        b += colour[2]!;
      }
      premultiplied[k * 3] = r / 4;
      premultiplied[k * 3 + 1] = g / 4;
      premultiplied[k * 3 + 2] = b / 4;
      coverage[k] = covered / 4;
    }
  }
  return { id: o.id, x0, y0, width, height, coverage, premultiplied, part };
}

function mix(a: Rgb, b: Rgb, t: number, out: Float64Array): void {
  for (let c = 0; c < 3; c++) out[c] = a[c]! + (b[c]! - a[c]!) * t;
}

/** Sky colour at canvas row y (px), horizon at hz (px). */
function skyAt(rig: LightRig, y: number, hz: number, out: Float64Array): void {
  const t = Math.min(1, Math.max(0, y / hz));
  mix(rig.skyTop, rig.skyHorizon, t * t, out);
}

/** Ground colour at row y: lit albedo, hazed towards the horizon; water also mirrors the sky and ripples. */
function groundAt(
  scene: Scene,
  rig: LightRig,
  y: number,
  hz: number,
  heightPx: number,
  out: Float64Array,
  sky: Float64Array,
): void {
  const albedo = groundAlbedo(scene.ground);
  const depth = Math.min(1, Math.max(0, (y - hz) / Math.max(1, heightPx - hz)));
  const lambert = Math.max(0, rig.direction[1]);
  const water = scene.ground === 'water';
  if (water) skyAt(rig, Math.max(0, hz - (y - hz) * 0.6), hz, sky);
  const ripple = water ? 1 + 0.12 * Math.min(1, depth * 2) * Math.sin(9 / (depth + 0.04)) : 1;
  const haze = Math.pow(1 - depth, 4) * 0.55;
  for (let c = 0; c < 3; c++) {
    let v = albedo[c]! * (rig.ambient[c]! + rig.sun[c]! * lambert);
    if (water) v = (v + 0.45 * sky[c]!) * ripple;
    out[c] = v + (rig.skyHorizon[c]! - v) * haze;
  }
}

function discCentre(lighting: Lighting, widthPx: number, hz: number): readonly [number, number] {
  const x = widthPx * (0.5 + lighting.sunSide * 0.3);
  const y = lighting.time === 'sunset' ? hz * 0.9 : hz * (lighting.sunHigh ? 0.3 : 0.72);
  return [x, y];
}

/** Paints the sun (or moon) disc and its glow over the sky rows of `image`. */
function drawDisc(image: RgbImage, lighting: Lighting, rig: LightRig, hz: number): void {
  const { width, height, data } = image;
  const [dx, dy] = discCentre(lighting, width, hz);
  const r = rig.discRadius * width;
  const glowR = r * 3;
  const yEnd = Math.min(height, Math.ceil(hz), Math.ceil(dy + glowR));
  for (let y = Math.max(0, Math.floor(dy - glowR)); y < yEnd; y++) {
    const skyPart = Math.min(1, Math.max(0, hz - y)); // only the sky's share of the horizon row
    for (let x = Math.max(0, Math.floor(dx - glowR)); x < Math.min(width, Math.ceil(dx + glowR)); x++) {
      const d = Math.hypot(x + 0.5 - dx, y + 0.5 - dy);
      if (d >= glowR) continue;
      const glow = 0.25 * (1 - d / glowR) ** 2 * skyPart;
      const cover = Math.min(1, Math.max(0, r - d + 0.5)) * skyPart;
      const k = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = data[k + c]! + rig.disc[c]! * glow;
        data[k + c] = v + (rig.disc[c]! - v) * cover;
      }
    }
  }
}

/**
 * The empty background of a scene: sky, sun, ground, no objects and no shadows.
 * @returns [heightPx, widthPx, 3]
 */
export function renderBackground(scene: Scene, widthPx: number, heightPx: number): RgbImage {
  const image = rgbImage(widthPx, heightPx);
  const rig = lightRig(scene.lighting);
  const hz = scene.horizon * heightPx;
  const sky = new Float64Array(3);
  const ground = new Float64Array(3);
  const scratch = new Float64Array(3);
  const row = new Float64Array(3);
  for (let y = 0; y < heightPx; y++) {
    const skyShare = Math.min(1, Math.max(0, hz - y)); // anti-aliased horizon
    skyAt(rig, y + 0.5, hz, sky);
    groundAt(scene, rig, y + 0.5, hz, heightPx, ground, scratch);
    for (let c = 0; c < 3; c++) row[c] = ground[c]! + (sky[c]! - ground[c]!) * skyShare;
    const base = y * widthPx * 3;
    for (let x = 0; x < widthPx; x++) {
      image.data[base + x * 3] = row[0]!;
      image.data[base + x * 3 + 1] = row[1]!;
      image.data[base + x * 3 + 2] = row[2]!;
    }
  }
  drawDisc(image, scene.lighting, rig, hz);
  return image;
}

/** Darkens the ground under each object: a soft ellipse cast away from the light, longer when the sun is low. */
function drawShadows(image: RgbImage, scene: Scene, rig: LightRig): void {
  const { width, height, data } = image;
  const hz = scene.horizon * height;
  for (const o of scene.objects) {
    const h = o.height * height;
    const w = h * 0.9;
    const sx = o.x * width - scene.lighting.sunSide * rig.shadowLength * w * 0.55;
    const sy = o.baseY * height - 0.05 * h;
    const rx = w * (0.5 + 0.45 * rig.shadowLength);
    const ry = Math.max(1.5, 0.17 * w);
    const yStart = Math.max(0, Math.ceil(hz), Math.floor(sy - ry));
    for (let y = yStart; y < Math.min(height, Math.ceil(sy + ry)); y++) {
      const ny = (y + 0.5 - sy) / ry;
      for (let x = Math.max(0, Math.floor(sx - rx)); x < Math.min(width, Math.ceil(sx + rx)); x++) {
        const nx = (x + 0.5 - sx) / rx;
        const d = Math.sqrt(nx * nx + ny * ny);
        if (d >= 1) continue;
        const t = d <= 0.4 ? 1 : (1 - d) / 0.6;
        const keep = 1 - rig.shadowOpacity * t * t * (3 - 2 * t); // smoothstep falloff: a soft edge
        const k = (y * width + x) * 3;
        data[k] = data[k]! * keep;
        data[k + 1] = data[k + 1]! * keep;
        data[k + 2] = data[k + 2]! * keep;
      }
    }
  }
}

/** Paints a raster over an image ("over" with premultiplied colour). */
export function compositeRaster(image: RgbImage, raster: ObjectRaster): void {
  const { width, data } = image;
  for (let j = 0; j < raster.height; j++) {
    for (let i = 0; i < raster.width; i++) {
      const k = j * raster.width + i;
      const a = raster.coverage[k]!;
      if (a === 0) continue;
      const d = ((raster.y0 + j) * width + raster.x0 + i) * 3;
      data[d] = data[d]! * (1 - a) + raster.premultiplied[k * 3]!;
      data[d + 1] = data[d + 1]! * (1 - a) + raster.premultiplied[k * 3 + 1]!;
      data[d + 2] = data[d + 2]! * (1 - a) + raster.premultiplied[k * 3 + 2]!;
    }
  }
}

/** A scene with the pieces the benchmark needs: the render, its empty background and each object's raster. */
export interface DetailedRender {
  /** [H, W, 3] the full scene. */
  readonly image: RgbImage;
  /** [H, W, 3] the scene without objects and shadows. */
  readonly background: RgbImage;
  /** One per object, painting order, lit by the scene's light. */
  readonly objects: readonly ObjectRaster[];
}

/** Renders a scene and keeps its background and object rasters (for masks and benchmark cases). */
export function renderSceneDetailed(scene: Scene, widthPx: number, heightPx: number): DetailedRender {
  const background = renderBackground(scene, widthPx, heightPx);
  const image: RgbImage = { width: widthPx, height: heightPx, data: background.data.slice() };
  const rig = lightRig(scene.lighting);
  drawShadows(image, scene, rig);
  const objects = scene.objects.map((o) => rasterizeObject(o, rig, widthPx, heightPx));
  for (const raster of objects) compositeRaster(image, raster);
  return { image, background, objects };
}

/**
 * Renders a scene: background, shadows, then objects back to front.
 * @returns [heightPx, widthPx, 3] RGB in [0, 1]
 */
export function renderScene(scene: Scene, widthPx: number, heightPx: number = widthPx): RgbImage {
  const image = renderBackground(scene, widthPx, heightPx);
  const rig = lightRig(scene.lighting);
  drawShadows(image, scene, rig);
  for (const o of scene.objects) compositeRaster(image, rasterizeObject(o, rig, widthPx, heightPx));
  return image;
}

/** An object rendered alone as a cut-out layer: its box on the canvas and an RGBA image of that box. */
export interface ObjectLayer {
  readonly id: string;
  /** Top-left of the layer on the canvas, px. */
  readonly x: number;
  readonly y: number;
  /** [h, w, 4] in [0, 1], straight alpha = coverage; no shadow. */
  readonly image: RgbaFloatImage;
}

/** Renders one object alone under any lighting (what a user would cut out and paste), clipped to the canvas. */
export function renderObjectLayer(
  o: SceneObject,
  lighting: Lighting,
  widthPx: number,
  heightPx: number = widthPx,
): ObjectLayer {
  const raster = rasterizeObject(o, lightRig(lighting), widthPx, heightPx);
  const n = raster.width * raster.height;
  const data = new Float32Array(n * 4);
  for (let k = 0; k < n; k++) {
    const a = raster.coverage[k]!;
    if (a === 0) continue;
    data[k * 4] = raster.premultiplied[k * 3]! / a;
    data[k * 4 + 1] = raster.premultiplied[k * 3 + 1]! / a;
    data[k * 4 + 2] = raster.premultiplied[k * 3 + 2]! / a;
    data[k * 4 + 3] = a;
  }
  return {
    id: o.id,
    x: raster.x0,
    y: raster.y0,
    image: { width: raster.width, height: raster.height, data },
  };
}
