// Parses and validates a `*.collage.json` document (spec: shared/design/collage-format.md) into a typed
// CollageDocument with defaults applied and image paths resolved; every problem is reported at once.
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { CollageError, InputError, type Problem } from '../errors.ts';
import {
  DEFAULT_BACKGROUND,
  DEFAULT_CANVAS_PX,
  FIXES,
  LAYER_ID_PATTERN,
  documentSchema,
  type CollageDocumentJson,
  type CollageLayerJson,
  type SchedulerId,
} from './document-schema.ts';
import { resolveSceneText } from './scene-text.ts';

/** A layer id: unique in its document, `[A-Za-z0-9_-]+`; minted only by `layerId`. */
export type LayerId = string & { readonly __brand: 'LayerId' };

/** Checks and brands a layer id. @throws InputError when it is empty or has other characters */
export function layerId(value: string): LayerId {
  if (!LAYER_ID_PATTERN.test(value)) {
    throw new InputError({ what: `layer id "${value}" is not [A-Za-z0-9_-]+`, fix: FIXES['id'] ?? '' });
  }
  return value as LayerId;
}

/** Where an image's bytes come from: a file (absolute path) or an inline data URI. */
export type ImageRef =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'data'; readonly mediaType: string; readonly bytes: Uint8Array };

export type Background =
  | { readonly kind: 'color'; readonly rgb: readonly [number, number, number] }
  | { readonly kind: 'image'; readonly image: ImageRef };

/** One layer, keys as documented (units: canvas px, degrees), defaults applied. */
export interface CollageLayer {
  readonly id: LayerId;
  readonly image: ImageRef;
  readonly text: string;
  /** @default true */ readonly visible: boolean;
  /** Top-left on the canvas, px. @default 0 */ readonly x: number;
  /** @default 0 */ readonly y: number;
  /** Uniform scale about the top-left. @default 1 */ readonly scale: number;
  /** Degrees, clockwise on screen, about the layer centre. @default 0 */ readonly rotation: number;
  /** Noise strength in [0, 1]; absent = auto (method.md §6). */ readonly noise?: number;
  /** w⁺, w⁻; absent = auto by layer size (method.md §4). */
  readonly attention: { readonly positive?: number; readonly negative?: number };
  /** Learn a token for this layer by textual inversion. @default true */ readonly invert: boolean;
  /** Absolute path of an existing embedding file. */ readonly embedding?: string;
  /** Per-layer ControlNet canny scale (method.md §8), kept for later. */ readonly canny?: number;
}

export interface GenerationSettings {
  readonly seed?: number;
  readonly steps?: number;
  readonly guidance?: number;
  readonly scheduler?: SchedulerId;
  /** Cap on every layer's noise strength, [0, 1]. */ readonly strengthCap?: number;
  readonly model?: string;
}

/** A validated collage document; `where` names its file in later error messages. */
export interface CollageDocument {
  readonly version: 1;
  /** @default 512 */ readonly width: number;
  /** @default 512 */ readonly height: number;
  /** @default #969696 */ readonly background: Background;
  readonly prompt: string;
  /** @default "" */ readonly negativePrompt: string;
  /** Bottom first. */ readonly layers: readonly CollageLayer[];
  readonly generation: GenerationSettings;
  /** The document's path (or a label), used in messages. */ readonly where: string;
}

/**
 * Validates a parsed JSON value as a collage document.
 * @param json the value of JSON.parse of the file
 * @param docPath the file's path: relative image paths resolve against its folder; also names it in errors
 * @throws CollageError listing every problem (JSON path, what, fix)
 */
export function parseCollageDocument(json: unknown, docPath: string): CollageDocument {
  const where = docPath;
  const problems: Problem[] = [];
  const parsed = documentSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => issueToProblem(issue, where)));
  problems.push(...crossChecks(json, where));
  if (!parsed.success || problems.length > 0) throw new CollageError(problems);
  const baseDir = dirname(resolve(docPath));
  const doc = parsed.data;
  const imageProblems: Problem[] = [];
  const layers = doc.layers.map((layer, i) => toLayer(layer, i, baseDir, where, imageProblems));
  const background = toBackground(doc.background, baseDir, where, imageProblems);
  if (imageProblems.length > 0) throw new CollageError(imageProblems);
  return {
    version: 1,
    width: doc.width ?? DEFAULT_CANVAS_PX,
    height: doc.height ?? DEFAULT_CANVAS_PX,
    background,
    prompt: doc.prompt,
    negativePrompt: doc.negativePrompt ?? '',
    layers,
    generation: stripUndefined(doc.generation ?? {}),
    where,
  };
}

function toLayer(layer: CollageLayerJson, index: number, baseDir: string, where: string, problems: Problem[]): CollageLayer {
  const image = toImageRef(layer.image, baseDir, `${where} → layers[${index}].image`, problems);
  return stripUndefined({
    id: layer.id as LayerId,
    image,
    text: layer.text,
    visible: layer.visible ?? true,
    x: layer.x ?? 0,
    y: layer.y ?? 0,
    scale: layer.scale ?? 1,
    rotation: layer.rotation ?? 0,
    noise: layer.noise,
    attention: stripUndefined({ positive: layer.attention?.positive, negative: layer.attention?.negative }),
    invert: layer.invert ?? true,
    embedding: layer.embedding === undefined ? undefined : resolvePath(baseDir, layer.embedding),
    canny: layer.canny,
  }) as CollageLayer;
}

function toBackground(
  background: CollageDocumentJson['background'],
  baseDir: string,
  where: string,
  problems: Problem[],
): Background {
  const value = background ?? DEFAULT_BACKGROUND;
  if (typeof value === 'string') {
    const n = Number.parseInt(value.slice(1), 16);
    return { kind: 'color', rgb: [(n >> 16) & 255, (n >> 8) & 255, n & 255] };
  }
  return { kind: 'image', image: toImageRef(value.image, baseDir, `${where} → background.image`, problems) };
}

const DATA_URI = /^data:(image\/(?:png|jpeg|webp));base64,([A-Za-z0-9+/=\s]*)$/;

/** A path relative to the document, or a data:image/...;base64 URI. */
export function toImageRef(value: string, baseDir: string, where: string, problems: Problem[]): ImageRef {
  if (value.startsWith('data:')) {
    const m = DATA_URI.exec(value);
    if (m === null) {
      problems.push({ what: 'the data URI is not data:image/(png|jpeg|webp);base64,…', where, fix: FIXES['image'] ?? '' });
      return { kind: 'data', mediaType: 'image/png', bytes: new Uint8Array(0) };
    }
    return { kind: 'data', mediaType: m[1]!, bytes: new Uint8Array(Buffer.from(m[2]!, 'base64')) };
  }
  if (/^[a-z]+:\/\//i.test(value)) {
    problems.push({ what: `"${value}" is a URL`, where, fix: 'download the image and give its local path' });
  }
  return { kind: 'file', path: resolvePath(baseDir, value) };
}

function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** Checks across keys: unique ids, and a prompt that names every visible layer. Runs on the raw value. */
function crossChecks(json: unknown, where: string): Problem[] {
  if (!isRecord(json) || !Array.isArray(json['layers'])) return [];
  const problems: Problem[] = [];
  const layers: { id: string; text: string; visible: boolean }[] = [];
  const seen = new Map<string, number>();
  json['layers'].forEach((raw: unknown, i) => {
    if (!isRecord(raw) || typeof raw['id'] !== 'string') return;
    const id = raw['id'];
    const first = seen.get(id);
    if (first !== undefined && id.length > 0) {
      problems.push({
        what: `layer id "${id}" is used by layers[${first}] and layers[${i}]`,
        where: `${where} → layers[${i}].id`,
        fix: 'give every layer its own id',
      });
    }
    if (first === undefined) seen.set(id, i);
    if (typeof raw['text'] === 'string' && raw['text'].trim().length > 0) {
      layers.push({ id, text: raw['text'], visible: raw['visible'] !== false });
    }
  });
  const prompt = json['prompt'];
  if (typeof prompt === 'string' && prompt.trim().length > 0) {
    problems.push(...resolveSceneText(prompt, layers, where).problems);
  }
  return problems;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** JSON path in the documented style: `layers[0].attention.positive`. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out.length === 0 ? String(key) : `.${String(key)}`;
  }
  return out.length === 0 ? '(document)' : out;
}

function describeValue(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'null';
  if (typeof x === 'string') return `"${x.length > 40 ? x.slice(0, 40) + '…' : x}"`;
  if (typeof x === 'number') return Number.isFinite(x) ? String(x) : `${x} (not finite)`;
  if (Array.isArray(x)) return 'a list';
  if (typeof x === 'object') return 'an object';
  return `${typeof x} ${String(x)}`;
}

function issueToProblem(issue: z.core.$ZodIssue, where: string): Problem {
  const keys = issue.path.filter((k): k is string => typeof k === 'string');
  const field = keys[keys.length - 1] ?? 'document';
  const at = `${where} → ${formatJsonPath(issue.path)}`;
  const fix = FIXES[field] ?? 'see collage-format.md';
  switch (issue.code) {
    case 'unrecognized_keys':
      return {
        what: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
        where: at,
        fix: 'remove it or correct its spelling (see collage-format.md for the keys)',
      };
    case 'invalid_type': {
      if (issue.input === undefined) return { what: `"${field}" is missing`, where: at, fix };
      const expected = issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`;
      return { what: `expected ${expected}, got ${describeValue(issue.input)}`, where: at, fix };
    }
    case 'invalid_union':
      return { what: `${describeValue(issue.input)} is neither form`, where: at, fix };
    default:
      return { what: issue.message, where: at, fix };
  }
}

/** Drops keys whose value is undefined (exactOptionalPropertyTypes). */
function stripUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
