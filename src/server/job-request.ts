// Parsers of the job request bodies (api-types.ts): everything from the network enters as `unknown` and leaves as
// a validated document with decoded images, or a user error listing every problem. Image references must be inline
// data URIs: the server never reads a file path sent over the network.
import { loadCollageImages, parseCollageDocument, type CollageDocument, type CollageImages } from '../collage/index.ts';
import { CollageError, InputError, type Problem } from '../errors.ts';
import type { JobOptionsJson } from './api-types.ts';

/** Most images one job may ask for. */
export const MAX_IMAGES_PER_JOB = 8;
/** Most steps one job may ask for. */
export const MAX_STEPS = 500;

/** A parsed job: the validated document (what the generator gets) and the JSON it came from (what is stored). */
export interface ParsedJobDocument {
  readonly document: CollageDocument;
  readonly images: CollageImages;
  readonly json: unknown;
}

/**
 * Validates a collage document sent in a request and decodes its inline images.
 * @param where names the document in messages, e.g. "request body → document"
 * @throws CollageError listing every problem: schema, a non-data image reference, an embedding path, a broken image
 */
export async function parseInlineDocument(json: unknown, where: string): Promise<ParsedJobDocument> {
  const pathProblems = findPathReferences(json, where);
  // The schema problems come first and all together; path references are added to them.
  let document: CollageDocument;
  try {
    document = parseCollageDocument(json, where);
  } catch (e) {
    if (e instanceof CollageError) throw new CollageError([...e.problems, ...pathProblems]);
    throw e;
  }
  if (pathProblems.length > 0) throw new CollageError(pathProblems);
  const images = await loadCollageImages(document);
  return { document, images, json };
}

/** Layer images, the background image and embeddings that are not data URIs (so would name server files). */
function findPathReferences(json: unknown, where: string): Problem[] {
  if (!isRecord(json)) return [];
  const problems: Problem[] = [];
  const fix = 'send the image inline as a data:image/png;base64,… URI (the editor does this); the server never reads files';
  const check = (value: unknown, at: string): void => {
    if (typeof value === 'string' && value.length > 0 && !value.startsWith('data:')) {
      problems.push({ what: `"${value.length > 60 ? value.slice(0, 60) + '…' : value}" is a file path or URL, not inline image data`, where: `${where} → ${at}`, fix });
    }
  };
  if (Array.isArray(json['layers'])) {
    json['layers'].forEach((layer: unknown, i) => {
      if (!isRecord(layer)) return;
      check(layer['image'], `layers[${i}].image`);
      if (layer['embedding'] !== undefined) {
        problems.push({ what: 'an embedding file path is not accepted over the network', where: `${where} → layers[${i}].embedding`, fix: 'remove "embedding" (learn the token with "invert": true)' });
      }
    });
  }
  const background = json['background'];
  if (isRecord(background)) check(background['image'], 'background.image');
  return problems;
}

/**
 * Validates job options. @param where names them in messages
 * @throws InputError listing every bad option
 */
export function parseJobOptions(raw: unknown, where: string): JobOptionsJson {
  if (raw === undefined) return {};
  if (!isRecord(raw)) throw new InputError({ what: 'options is not an object', where, fix: 'send { "seed", "steps", "n", "model" } or leave it out' });
  const problems: Problem[] = [];
  const out: { seed?: number; steps?: number; n?: number; model?: string } = {};
  const whole = (key: 'seed' | 'steps' | 'n', min: number, max: number): void => {
    const v = raw[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push({ what: `${key} ${JSON.stringify(v)} is not a whole number in [${min}, ${max}]`, where: `${where} → ${key}`, fix: `use a whole number from ${min} to ${max}` });
    } else out[key] = v;
  };
  whole('seed', 0, 2 ** 32 - 1);
  whole('steps', 1, MAX_STEPS);
  whole('n', 1, MAX_IMAGES_PER_JOB);
  const model = raw['model'];
  if (model !== undefined) {
    if (typeof model !== 'string' || model.length === 0) problems.push({ what: 'model is not a model id', where: `${where} → model`, fix: 'use an id from GET /api/models' });
    else out.model = model;
  }
  const unknown = Object.keys(raw).filter((k) => !['seed', 'steps', 'n', 'model'].includes(k));
  if (unknown.length > 0) problems.push({ what: `unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`, where, fix: 'use seed, steps, n, model' });
  if (problems.length > 0) throw new InputError(problems);
  return out;
}

/** Layer ids to re-generate: a non-empty list of ids present among the document's visible layers. @throws InputError */
export function parseRegenerateLayers(raw: unknown, document: CollageDocument, where: string): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((x) => typeof x === 'string')) {
    throw new InputError({ what: 'layers is not a non-empty list of layer ids', where, fix: 'send e.g. { "layers": ["car"] }' });
  }
  const visible = new Set(document.layers.filter((l) => l.visible).map((l) => l.id as string));
  const missing = (raw as string[]).filter((id) => !visible.has(id));
  if (missing.length > 0) {
    throw new InputError({ what: `no visible layer ${missing.map((id) => `"${id}"`).join(', ')}`, where, fix: `choose among ${[...visible].join(', ') || '(no visible layers)'}` });
  }
  return [...new Set(raw as string[])];
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
