// Prompts with learned tokens (method.md §5): token embeddings looked up in JS from the text encoder's
// `token_embedding.weight`, learned vectors spliced in at their tokens, then the text encoder in inputs_embeds mode.
import { InputError } from '../errors.ts';
import { buildClipTextModel, type StableDiffusion } from '../models/index.ts';
import { float32, type Tensor } from '../tensor.ts';
import type { ClipTokenizer } from '../text/index.ts';

/** The text encoder's token table, by diffusers name. */
export const TOKEN_EMBEDDING_WEIGHT = 'text_model.embeddings.token_embedding.weight';

const tables = new WeakMap<StableDiffusion, Float32Array>();

/** [vocab_size, D] token embedding table of the model's text encoder (read once per model, 152 MB for SD 1.x). */
export function tokenEmbeddingTable(model: StableDiffusion): Float32Array {
  let table = tables.get(model);
  if (!table) {
    table = model.textEncoderPart.weights.readFloat32(TOKEN_EMBEDDING_WEIGHT);
    tables.set(model, table);
  }
  return table;
}

/**
 * Token embeddings of one id sequence: the table's row per id, the learned vector for ids in `learned`.
 * @param ids [T] token ids @param learned vector [D] per token id @returns [T, D], written into `out` at `offset`
 * @throws InputError for an id outside the table that has no learned vector
 */
export function embedTokens(model: StableDiffusion, ids: readonly number[], learned: ReadonlyMap<number, Float32Array>, out: Float32Array = new Float32Array(ids.length * model.textWidth), offset = 0): Float32Array {
  const table = tokenEmbeddingTable(model);
  const width = model.textWidth;
  const rows = table.length / width;
  ids.forEach((id, t) => {
    const vector = learned.get(id);
    const at = offset + t * width;
    if (vector) {
      out.set(vector, at);
    } else if (id >= 0 && id < rows) {
      out.set(table.subarray(id * width, (id + 1) * width), at);
    } else {
      throw new InputError({ what: `token id ${id} is outside the text encoder's ${rows} embeddings and has no learned vector`, where: `prompt token ${t}`, fix: 'learn or load an embedding for every added token' });
    }
  });
  return out;
}

/**
 * The text encoder in inputs_embeds mode: last_hidden_state of precomputed token embeddings.
 * @param embeds [B, T, D] token embeddings (position embeddings are added inside) @returns [B, T, D]
 */
export async function encodeEmbeds(model: StableDiffusion, embeds: Tensor<'float32'>): Promise<Tensor<'float32'>> {
  const [batch, tokens] = embeds.shape as [number, number];
  const part = model.textEncoderPart;
  const session = await model.graphSession(`text-embeds|${batch}|${tokens}`, [part], (g, [weights]) => {
    buildClipTextModel(g, part.config, weights!, { batch, tokens, input: 'inputs_embeds' });
  });
  return (await session.run({ inputs_embeds: embeds }, ['last_hidden_state']))['last_hidden_state'] as Tensor<'float32'>;
}

/**
 * Text embeddings of a prompt holding learned tokens (e.g. "a photo of <car> red car"): the tokens are added to
 * `tokenizer` (so it matches them), looked up, and the text encoder runs on the spliced embeddings.
 * @param learned vector [D] per token string such as "<car>"
 * @returns [1, 77, D] last_hidden_state
 * @throws InputError for a vector whose width is not the text encoder's
 */
export async function encodePromptWithTokens(model: StableDiffusion, tokenizer: ClipTokenizer, text: string, learned: ReadonlyMap<string, Float32Array>): Promise<Tensor<'float32'>> {
  const byId = learnedIds(model, tokenizer, learned);
  const { ids } = tokenizer.tokenize(text);
  const embeds = embedTokens(model, ids, byId);
  return encodeEmbeds(model, float32([1, ids.length, model.textWidth], embeds));
}

/** Adds the learned tokens to the tokenizer and keys their vectors by id. @throws InputError for a wrong width */
export function learnedIds(model: StableDiffusion, tokenizer: ClipTokenizer, learned: ReadonlyMap<string, Float32Array>): Map<number, Float32Array> {
  const tokens = [...learned.keys()];
  const ids = tokenizer.addTokens(tokens);
  const byId = new Map<number, Float32Array>();
  tokens.forEach((token, i) => {
    const vector = learned.get(token)!;
    if (vector.length !== model.textWidth) {
      throw new InputError({ what: `the vector of ${token} has ${vector.length} values, the text encoder's width is ${model.textWidth}`, where: `learned token ${token}`, fix: 'use an embedding learned for this model' });
    }
    byId.set(ids[i]!, vector);
  });
  return byId;
}
