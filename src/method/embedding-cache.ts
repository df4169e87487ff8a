// The learned-embedding cache (method.md §5: an unchanged layer is never inverted twice): one kohya-form
// safetensors file per key, the key a hash of the model's identity, the target pixels and loss mask (the layer and
// everything under it, after placement), the layer text and the result-determining settings.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import envPaths from 'env-paths';
import { readEmbeddingFile, writeEmbeddingFile } from '../io/index.ts';
import type { InversionSettings } from './inversion-options.ts';

/** Bump when the inversion changes in a way old cached embeddings would not reflect. */
const CACHE_VERSION = 1;

/** `COLLAGE_CACHE_DIR/embeddings`, else env-paths('collage-diffusion').cache + '/embeddings'. */
export function defaultEmbeddingCacheDir(): string {
  return join(process.env['COLLAGE_CACHE_DIR'] ?? envPaths('collage-diffusion', { suffix: '' }).cache, 'embeddings');
}

/** What a learned embedding depends on. */
export interface EmbeddingKeyParts {
  /** The text encoder's and UNet's identities (path, size, mtime of the weights). */
  readonly modelIdentity: string;
  /** [H*W*3] the target composite (layers 0..i over the background), canvas size. */
  readonly targetRgb: Float32Array;
  /** [hLat*wLat] the loss mask. */
  readonly lossMask: Float32Array;
  readonly text: string;
  readonly settings: InversionSettings;
}

/** The cache key: sha256 hex of every part. */
export function embeddingCacheKey(parts: EmbeddingKeyParts): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ version: CACHE_VERSION, model: parts.modelIdentity, text: parts.text, settings: parts.settings, sizes: [parts.targetRgb.length, parts.lossMask.length] }));
  hash.update(new Uint8Array(parts.targetRgb.buffer, parts.targetRgb.byteOffset, parts.targetRgb.byteLength));
  hash.update(new Uint8Array(parts.lossMask.buffer, parts.lossMask.byteOffset, parts.lossMask.byteLength));
  return hash.digest('hex');
}

/** The cached embedding [D] of a key, or undefined when there is none (or it has another width). */
export function readCachedEmbedding(dir: string, key: string, width: number): Float32Array | undefined {
  const path = join(dir, `${key}.safetensors`);
  if (!existsSync(path)) return undefined;
  try {
    const file = readEmbeddingFile(path, width);
    return file.vectors === 1 ? file.data : undefined;
  } catch {
    // A damaged cache entry is relearned (and overwritten), never trusted.
    return undefined;
  }
}

/** Stores an embedding [D] under its key (atomic write). */
export async function writeCachedEmbedding(dir: string, key: string, embedding: Float32Array): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await writeEmbeddingFile(join(dir, `${key}.safetensors`), embedding, embedding.length);
}
