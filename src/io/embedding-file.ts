// Textual-inversion embedding files as the Stable Diffusion ecosystem exchanges them (safetensors only, issue 9 §5):
// we write kohya's `{"emb_params": [n, D]}` (A1111 and ComfyUI load it) and read every safetensors form they read.
import { InputError } from '../errors.ts';
import { openSafetensors, writeSafetensors } from './safetensors.ts';

/** The forms we read, by the key that identified them. */
export const EMBEDDING_FILE_FORMS = ['emb_params', 'clip_l', 'string_to_param', 'token'] as const;
export type EmbeddingFileForm = (typeof EMBEDDING_FILE_FORMS)[number];

/** The key kohya's scripts write and A1111 / ComfyUI read. */
export const EMBEDDING_KEY = 'emb_params';

/** One embedding file's vectors. */
export interface EmbeddingFile {
  /** [vectors, width] row-major, float32. */
  readonly data: Float32Array;
  /** How many token vectors (usually 1). */
  readonly vectors: number;
  /** Width D of each vector (768 for SD 1.x). */
  readonly width: number;
  readonly form: EmbeddingFileForm;
  /** The key the vectors came from (the token string for the diffusers form). */
  readonly key: string;
}

/**
 * Writes vectors as `{"emb_params": [n, D]}` float32, atomically.
 * @param data [vectors · width] @param width D
 * @throws InputError for a data length that is not a multiple of width
 */
export async function writeEmbeddingFile(path: string, data: Float32Array, width: number): Promise<void> {
  if (!Number.isInteger(width) || width < 1 || data.length === 0 || data.length % width !== 0) {
    throw new InputError({ what: `${data.length} values do not form vectors of width ${width}`, where: path, fix: 'pass [n, width] vectors' });
  }
  await writeSafetensors(path, { [EMBEDDING_KEY]: { dtype: 'float32', shape: [data.length / width, width], data } });
}

/**
 * Reads an embedding file: `emb_params` (kohya), `clip_l` (SDXL-style files, the SD 1.x-width half),
 * `string_to_param.*` / `*` (A1111's string_to_param entry as safetensors), or a single `{token: tensor}` key
 * (diffusers' learned_embeds). F16/BF16 are widened exactly; [D] counts as one vector.
 * @param expectedWidth the text encoder's hidden_size; a file of another width is refused
 * @throws InputError naming the file for an unreadable file, an unknown layout (listing its keys) or a wrong width
 *   (giving both widths)
 */
export function readEmbeddingFile(path: string, expectedWidth?: number): EmbeddingFile {
  const file = openSafetensors(path);
  try {
    const names = file.names();
    const { key, form } = pickKey(names, path);
    const shape = file.info(key).shape;
    if (shape.length < 1 || shape.length > 2 || shape.some((d) => d < 1)) {
      throw new InputError({ what: `tensor "${key}" has shape [${shape.join(', ')}], expected [n, width] or [width]`, where: path, fix: 'use a textual-inversion embedding file' });
    }
    const width = shape[shape.length - 1]!;
    const vectors = shape.length === 2 ? shape[0]! : 1;
    if (expectedWidth !== undefined && width !== expectedWidth) {
      throw new InputError({
        what: `embedding width ${width} does not match the text encoder's width ${expectedWidth}`,
        where: `${path} → ${key}`,
        fix: `use an embedding trained for this model family (width ${expectedWidth}${expectedWidth === 768 ? ', SD 1.x' : expectedWidth === 1024 ? ', SD 2.x' : ''})`,
      });
    }
    return { data: file.readFloat32(key), vectors, width, form, key };
  } finally {
    file.close();
  }
}

function pickKey(names: readonly string[], path: string): { key: string; form: EmbeddingFileForm } {
  if (names.includes(EMBEDDING_KEY)) return { key: EMBEDDING_KEY, form: 'emb_params' };
  if (names.includes('clip_l')) return { key: 'clip_l', form: 'clip_l' };
  const star = names.find((n) => n === '*' || n.startsWith('string_to_param.'));
  if (star !== undefined && names.filter((n) => n === '*' || n.startsWith('string_to_param.')).length === 1) return { key: star, form: 'string_to_param' };
  if (names.length === 1) return { key: names[0]!, form: 'token' };
  throw new InputError({
    what: names.length === 0 ? 'the file holds no tensor' : `cannot tell which of the tensors ${names.map((n) => `"${n}"`).join(', ')} is the embedding`,
    where: path,
    fix: `use a file with an "${EMBEDDING_KEY}" tensor (kohya form), "clip_l", a single "string_to_param.*" entry or a single {token: tensor}`,
  });
}
