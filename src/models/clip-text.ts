// CLIPTextModel (transformers 4.36 `models/clip/modeling_clip.py`) as an engine graph: token + position embeddings,
// causal pre-LN encoder layers, final LayerNorm, pooled output. Scopes are the state-dict prefixes (`text_model.…`).
import type { Graph, Value } from '../engine/index.ts';
import { ModelError, type Problem } from '../errors.ts';
import type { CLIPTextConfig } from '../io/index.ts';
import { float32 } from '../tensor.ts';
import { BuildContext, type BuildContextOptions } from './build-context.ts';
import { ModelWeights, type WeightSource } from './weights.ts';

/** Activations `hidden_act` may name (transformers' ACT2FN keys we build). */
export const CLIP_ACTIVATIONS = ['quick_gelu', 'gelu'] as const;

/** What the graph takes: token ids, or token embeddings (before position embeddings) for textual inversion. */
export const CLIP_TEXT_INPUTS = ['input_ids', 'inputs_embeds'] as const;
export type ClipTextInput = (typeof CLIP_TEXT_INPUTS)[number];

export interface ClipTextOptions extends BuildContextOptions {
  /** Batch size B of the static graph. @default 1 */
  readonly batch?: number;
  /**
   * `input_ids` int64 [B, T] or `inputs_embeds` float32 [B, T, D] (token_embedding(ids), position embeddings are
   * added inside, as transformers' CLIPTextEmbeddings does). @default 'input_ids'
   */
  readonly input?: ClipTextInput;
  /** Also output `hidden_states` [layers + 1, B, T, D] (embeddings, then every layer's output, no final LN). @default false */
  readonly hiddenStates?: boolean;
  /**
   * diffusers' `clip_skip`: also output `prompt_embeds` = final_layer_norm(hidden_states[-(clipSkip + 1)]);
   * 1 = the penultimate layer. 0 adds no output (use `last_hidden_state`). @default 0
   */
  readonly clipSkip?: number;
  /** Sequence length T (at most max_position_embeddings). @default max_position_embeddings (77) */
  readonly tokens?: number;
  /** Which weights become trainable graph inputs. @default none */
  readonly trainable?: boolean | ((name: string) => boolean);
}

/** The graph values of one text-encoder build (also bound as graph outputs under the same names). */
export interface ClipTextOutputs {
  /** [B, T] int64 or [B, T, D] float32, per `options.input`. */
  readonly input: Value;
  /** [B, T, D] after final_layer_norm. */
  readonly lastHiddenState: Value;
  /** [B, D] last_hidden_state at the EOS position; only with `input_ids` (the position comes from the ids). */
  readonly pooledOutput?: Value;
  /** [B, T, D] final_layer_norm(hidden_states[-(clipSkip + 1)]) when clipSkip > 0. */
  readonly promptEmbeds?: Value;
}

/** transformers' causal mask fill value, torch.finfo(float32).min. */
const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * Builds CLIPTextModel into `g`; outputs `last_hidden_state`, `pooler_output` (ids input), `hidden_states`,
 * `prompt_embeds` (clip skip) as asked. Weights are read by full name (`text_model.encoder.layers.0.mlp.fc1.weight`).
 * @throws ModelError for an unsupported `hidden_act`, a bad option, or (all at once) missing/wrong-shaped/unused weights
 */
export function buildClipTextModel(g: Graph, config: CLIPTextConfig, source: WeightSource, options: ClipTextOptions = {}): ClipTextOutputs {
  const batch = options.batch ?? 1;
  const tokens = options.tokens ?? config.max_position_embeddings;
  const clipSkip = options.clipSkip ?? 0;
  checkClipText(config, tokens, clipSkip);
  // position_ids is a buffer older transformers saved with the weights; it is always 0..76.
  const weights = new ModelWeights(source, { ignore: (n) => n.endsWith('embeddings.position_ids'), ...(options.trainable === undefined ? {} : { trainable: options.trainable }) });
  const ctx = new BuildContext(g, weights, options.taps === undefined ? {} : { taps: options.taps });
  const width = config.hidden_size;
  const inputKind = options.input ?? 'input_ids';
  const input = inputKind === 'input_ids' ? g.input('input_ids', 'int64', [batch, tokens]) : g.input('inputs_embeds', 'float32', [batch, tokens, width]);
  const result = g.scope('text_model', () => {
    let hidden = embeddings(ctx, config, input, tokens);
    const states = [hidden];
    const mask = g.constant(causalMask(tokens), 'causal_mask');
    g.scope('encoder', () => {
      for (let i = 0; i < config.num_hidden_layers; i++) {
        hidden = g.scope(`layers.${i}`, () => encoderLayer(ctx, config, hidden, mask));
        states.push(hidden);
      }
    });
    const [gamma, beta] = g.scope('final_layer_norm', () => [ctx.weight('weight', [width]), ctx.weight('bias', [width])] as const);
    const finalNorm = (x: Value): Value => g.scope('final_layer_norm', () => g.layerNorm(x, gamma, beta, config.layer_norm_eps));
    const lastHiddenState = finalNorm(hidden);
    const promptEmbeds = clipSkip > 0 ? finalNorm(states[states.length - 1 - clipSkip]!) : undefined;
    return { lastHiddenState, promptEmbeds, states };
  });
  g.output('last_hidden_state', result.lastHiddenState);
  if (result.promptEmbeds) g.output('prompt_embeds', result.promptEmbeds);
  if (options.hiddenStates) g.output('hidden_states', g.concat(result.states.map((s) => g.unsqueeze(s, [0])), 0));
  const pooledOutput = inputKind === 'input_ids' ? g.output('pooler_output', pool(g, result.lastHiddenState, input, config.eos_token_id)) : undefined;
  ctx.finish('CLIPTextModel');
  return {
    input,
    lastHiddenState: result.lastHiddenState,
    ...(pooledOutput ? { pooledOutput } : {}),
    ...(result.promptEmbeds ? { promptEmbeds: result.promptEmbeds } : {}),
  };
}

/**
 * The config problems that stop a build: an activation we do not build, a width that does not split into heads.
 * @param where the config file, for messages
 */
export function clipTextConfigProblems(config: CLIPTextConfig, where = 'text_encoder/config.json'): Problem[] {
  const problems: Problem[] = [];
  if (!(CLIP_ACTIVATIONS as readonly string[]).includes(config.hidden_act)) {
    problems.push({ what: `hidden_act "${config.hidden_act}" is not supported`, where: `${where} → hidden_act`, fix: `use one of ${CLIP_ACTIVATIONS.join(', ')}` });
  }
  if (config.hidden_size % config.num_attention_heads !== 0) {
    problems.push({ what: `hidden_size ${config.hidden_size} does not split into num_attention_heads ${config.num_attention_heads}`, where: `${where} → hidden_size, num_attention_heads`, fix: 'check hidden_size and num_attention_heads' });
  }
  return problems;
}

function checkClipText(config: CLIPTextConfig, tokens: number, clipSkip: number): void {
  const problems = clipTextConfigProblems(config);
  if (!Number.isInteger(tokens) || tokens < 1 || tokens > config.max_position_embeddings) {
    problems.push({ what: `${tokens} tokens do not fit max_position_embeddings ${config.max_position_embeddings}`, where: 'ClipTextOptions.tokens', fix: `use 1 to ${config.max_position_embeddings} tokens` });
  }
  if (!Number.isInteger(clipSkip) || clipSkip < 0 || clipSkip >= config.num_hidden_layers) {
    problems.push({ what: `clip skip ${clipSkip} is outside 0..${config.num_hidden_layers - 1}`, where: 'ClipTextOptions.clipSkip', fix: `use 0 to ${config.num_hidden_layers - 1} (1 = penultimate layer)` });
  }
  if (problems.length > 0) throw new ModelError(problems);
}

/** CLIPTextEmbeddings: token_embedding(ids) (or the given embeddings) + position_embedding(0..T-1). */
function embeddings(ctx: BuildContext, config: CLIPTextConfig, input: Value, tokens: number): Value {
  const { g } = ctx;
  return g.scope('embeddings', () => {
    const width = config.hidden_size;
    const tokenTable = g.scope('token_embedding', () => ctx.weight('weight', [config.vocab_size, width]));
    const positionTable = g.scope('position_embedding', () => ctx.weight('weight', [config.max_position_embeddings, width]));
    const embeds = input.dtype === 'int64' ? g.gather(tokenTable, input, 0) : input;
    const positions = tokens === config.max_position_embeddings ? positionTable : g.slice(positionTable, [0], [0], [tokens]);
    return g.add(embeds, positions);
  });
}

/** [1, 1, T, T]: 0 on and below the diagonal, float32 min above (a token sees itself and earlier tokens). */
function causalMask(tokens: number): ReturnType<typeof float32> {
  const data = new Float32Array(tokens * tokens);
  for (let q = 0; q < tokens; q++) for (let k = q + 1; k < tokens; k++) data[q * tokens + k] = FLOAT32_MIN;
  return float32([1, 1, tokens, tokens], data);
}

/** CLIPEncoderLayer: x + attn(ln1(x)), then + mlp(ln2(x)). @param hidden [B, T, D] */
function encoderLayer(ctx: BuildContext, config: CLIPTextConfig, hidden: Value, mask: Value): Value {
  const { g } = ctx;
  const width = config.hidden_size;
  const norm = (scope: string, x: Value): Value => g.scope(scope, () => g.layerNorm(x, ctx.weight('weight', [width]), ctx.weight('bias', [width]), config.layer_norm_eps));
  const linear = (scope: string, x: Value, out: number, inp: number): Value => g.scope(scope, () => g.linear(x, ctx.weight('weight', [out, inp]), ctx.weight('bias', [out])));
  const attentionInput = norm('layer_norm1', hidden);
  const attended = g.scope('self_attn', () => {
    const [q, k, v] = (['q_proj', 'k_proj', 'v_proj'] as const).map((p) => linear(p, attentionInput, width, width)) as [Value, Value, Value];
    return linear('out_proj', g.attention(q, k, v, { heads: config.num_attention_heads, bias: mask }), width, width);
  });
  const afterAttention = g.add(hidden, attended);
  const mlpInput = norm('layer_norm2', afterAttention);
  const mlp = g.scope('mlp', () => {
    const h = linear('fc1', mlpInput, config.intermediate_size, width);
    return linear('fc2', config.hidden_act === 'gelu' ? g.gelu(h) : g.quickGelu(h), width, config.intermediate_size);
  });
  return g.add(afterAttention, mlp);
}

/**
 * transformers 4.36's pooling: the row of `hidden` at argmax(ids) when eos_token_id == 2 (its legacy rule), else at
 * the first id equal to eos_token_id (position 0 when there is none, as argmax of all zeros). Written as a one-hot of
 * score = key·T − position (first maximum wins), exact in float32 for ids below 2^24 / T.
 * @param hidden [B, T, D] @param ids [B, T] int64 @returns [B, D]
 */
function pool(g: Graph, hidden: Value, ids: Value, eosTokenId: number): Value {
  const tokens = ids.shape[1]!;
  const key = eosTokenId === 2 ? g.cast(ids, 'float32') : g.cast(g.equal(ids, g.scalar(eosTokenId, 'int64')), 'float32');
  const positions = g.constant(float32([tokens], Float32Array.from({ length: tokens }, (_, i) => i)), 'positions');
  const score = g.sub(g.mul(key, tokens), positions);
  const oneHot = g.cast(g.equal(score, g.reduceMax(score, [1], true)), 'float32');
  return g.reduceSum(g.mul(hidden, g.unsqueeze(oneHot, [2])), [1]);
}
