// Token spans of the layers (method.md §3) from the tokenizer's character offsets, and the per-resolution
// cross-attention coefficient maps A[p, j] = w⁺·m(p) − w⁻·(1 − m(p)) of §4 (0 for global tokens).
import { CollageError, type Problem } from '../errors.ts';
import { CLIP_CONTEXT_LENGTH, type TokenizedText } from '../text/index.ts';
import type { LayerCharRange } from './scene-text.ts';

/** Words CLIP reads: its context of 77 less BOS and EOS. */
export const MAX_PROMPT_TOKENS = CLIP_CONTEXT_LENGTH - 2;

/** What the CLIP tokenizer returns for one text: ids, [start, end) character offsets ([0, 0] for BOS, EOS and
 * padding), tokenCount and the text that fell off (`truncated`, '' when none). */
export type { TokenizedText };

/** Anything that tokenizes like CLIP (text/'s ClipTokenizer). */
export interface TextTokenizer {
  tokenize(text: string): TokenizedText;
}

/** A layer's tokens in the scene text. */
export interface TokenSpan {
  readonly id: string;
  /** Token positions in [1, 76), ascending, contiguous. */
  readonly tokenIndices: readonly number[];
}

/**
 * The token positions of each layer: a token belongs to a layer when its characters overlap the layer's range.
 * @throws CollageError when the prompt is over 75 tokens (naming the words that fall off) or a layer has no tokens
 */
export function tokenSpans(tokens: TokenizedText, ranges: readonly LayerCharRange[], where: string): TokenSpan[] {
  const problems: Problem[] = [];
  if (tokens.truncated.trim().length > 0) {
    problems.push({
      what: `the prompt is over the text encoder's ${MAX_PROMPT_TOKENS} tokens; these words fall off: "${tokens.truncated.trim()}"`,
      where: `${where} → prompt`,
      fix: 'shorten the prompt or the layer texts',
    });
  }
  const spans = ranges.map((range) => {
    const tokenIndices: number[] = [];
    tokens.offsets.forEach(([start, end], j) => {
      if (end > start && start < range.end && end > range.start) tokenIndices.push(j);
    });
    if (tokenIndices.length === 0 && problems.length === 0) {
      problems.push({
        what: `layer "${range.id}" has no tokens in the prompt`,
        where: `${where} → layers`,
        fix: 'give the layer a text with words',
      });
    }
    return { id: range.id, tokenIndices };
  });
  if (problems.length > 0) throw new CollageError(problems);
  return spans;
}

/** Per layer, what the coefficient maps need. */
export interface SpanWeights {
  readonly span: TokenSpan;
  /** w⁺, w⁻. */
  readonly positive: number;
  readonly negative: number;
  /** The layer's visible mask at this resolution, [HW]. */
  readonly mask: Float32Array;
}

/**
 * The bias coefficients of one attention resolution: for a token j of layer ℓ, A[p, j] = w⁺·m(p) − w⁻·(1 − m(p));
 * 0 for every other token. The method multiplies by f(σ) and the max logit M_j at run time.
 * @param pixels HW of this resolution
 * @returns [HW, 77] row-major (query position, token)
 */
export function attentionCoefficients(layers: readonly SpanWeights[], pixels: number): Float32Array {
  const out = new Float32Array(pixels * CLIP_CONTEXT_LENGTH);
  for (const { span, positive, negative, mask } of layers) {
    for (let p = 0; p < pixels; p++) {
      const m = mask[p]!;
      const a = positive * m - negative * (1 - m);
      const row = p * CLIP_CONTEXT_LENGTH;
      for (const j of span.tokenIndices) out[row + j] = a;
    }
  }
  return out;
}

/** A plain-text table of the spans: one line per layer with its token positions and the words they cover. */
export function formatSpanTable(text: string, tokens: TokenizedText | undefined, ranges: readonly LayerCharRange[], spans?: readonly TokenSpan[]): string {
  const lines: string[] = [];
  ranges.forEach((range, i) => {
    const words = text.slice(range.start, range.end);
    const indices = spans?.[i]?.tokenIndices;
    if (tokens === undefined || indices === undefined) {
      lines.push(`${range.id.padEnd(16)} chars ${range.start}–${range.end}  "${words}"`);
      return;
    }
    const pieces = indices.map((j) => {
      const [s, e] = tokens.offsets[j] ?? [0, 0];
      return `${j}:${text.slice(s, e)}`;
    });
    lines.push(`${range.id.padEnd(16)} tokens ${indices[0] ?? '-'}–${indices[indices.length - 1] ?? '-'}  ${pieces.join(' ')}`);
  });
  return lines.join('\n');
}
