// Scene text resolution (method.md §1, §3): `{id}` placeholders → layer texts, or each layer text found verbatim,
// with every visible layer's character range recorded; learned tokens inserted right before a layer's words.
import type { Problem } from '../errors.ts';

/** What resolution needs of a layer. */
export interface SceneLayer {
  readonly id: string;
  readonly text: string;
  readonly visible: boolean;
}

/** A layer's characters [start, end) in the resolved scene text (learned token included). */
export interface LayerCharRange {
  readonly id: string;
  readonly start: number;
  readonly end: number;
}

export interface ResolvedSceneText {
  /** The scene text the tokenizer sees. */
  readonly text: string;
  /** One range per visible layer that was found, in layer order. */
  readonly ranges: readonly LayerCharRange[];
  /** Layers not found, unknown placeholders; empty when the text resolved. */
  readonly problems: readonly Problem[];
}

const PLACEHOLDER = /\{([A-Za-z0-9_-]+)\}/g;

interface MutableRange {
  id: string;
  start: number;
  end: number;
}

/**
 * Resolves the scene text. Placeholders are replaced first; layers without a placeholder are then matched verbatim
 * (case-insensitive, on word boundaries), longest text first so a text that is a prefix of another ("a dog" and
 * "a dog house") does not steal the longer one's words; each takes its first occurrence not already claimed.
 * Hidden layers keep their words but get no range. A placeholder used twice gives a range to its first use only.
 * @param learnedTokens token string per layer id (e.g. "<car>"), inserted with a space before the layer's words
 */
export function resolveSceneText(
  prompt: string,
  layers: readonly SceneLayer[],
  where: string,
  learnedTokens: ReadonlyMap<string, string> = new Map(),
): ResolvedSceneText {
  const problems: Problem[] = [];
  const byId = new Map(layers.map((l) => [l.id, l]));
  const claimed: MutableRange[] = [];
  let text = '';
  let last = 0;
  for (const match of prompt.matchAll(PLACEHOLDER)) {
    const name = match[1]!;
    const layer = byId.get(name);
    text += prompt.slice(last, match.index);
    last = match.index + match[0].length;
    if (layer === undefined) {
      problems.push({
        what: `placeholder {${name}} names no layer`,
        where: `${where} → prompt`,
        fix: `use one of ${[...byId.keys()].map((k) => `{${k}}`).join(', ') || '(no layers)'} or remove the braces`,
      });
      text += match[0];
      continue;
    }
    if (layer.visible && !claimed.some((r) => r.id === name)) {
      claimed.push({ id: name, start: text.length, end: text.length + layer.text.length });
    }
    text += layer.text;
  }
  text += prompt.slice(last);

  const placed = new Set(claimed.map((r) => r.id));
  const verbatim = layers
    .map((layer, index) => ({ layer, index }))
    .filter(({ layer }) => layer.visible && !placed.has(layer.id))
    .sort((a, b) => b.layer.text.length - a.layer.text.length || a.index - b.index);
  for (const { layer, index } of verbatim) {
    const start = findUnclaimed(text, layer.text, claimed);
    if (start < 0) {
      problems.push({
        what: `the text "${layer.text}" of layer "${layer.id}" appears nowhere in the prompt${
          text.toLowerCase().includes(layer.text.toLowerCase()) ? ' that is not already another layer’s' : ''
        }`,
        where: `${where} → layers[${index}].text`,
        fix: `put "{${layer.id}}" or the exact words "${layer.text}" into the prompt`,
      });
      continue;
    }
    claimed.push({ id: layer.id, start, end: start + layer.text.length });
  }
  return insertLearnedTokens(text, claimed, layers, learnedTokens, problems);
}

function insertLearnedTokens(
  text: string,
  claimed: readonly MutableRange[],
  layers: readonly SceneLayer[],
  learnedTokens: ReadonlyMap<string, string>,
  problems: Problem[],
): ResolvedSceneText {
  const sorted = [...claimed].sort((a, b) => a.start - b.start);
  let out = '';
  let last = 0;
  const shifted = new Map<string, LayerCharRange>();
  for (const range of sorted) {
    out += text.slice(last, range.start);
    const start = out.length;
    const token = learnedTokens.get(range.id);
    if (token !== undefined) out += `${token} `;
    out += text.slice(range.start, range.end);
    shifted.set(range.id, { id: range.id, start, end: out.length });
    last = range.end;
  }
  out += text.slice(last);
  const ranges = layers.flatMap((l) => {
    const r = shifted.get(l.id);
    return r === undefined ? [] : [r];
  });
  return { text: out, ranges, problems };
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

/** First case-insensitive occurrence of `needle` on word boundaries that overlaps no claimed range; -1 if none. */
function findUnclaimed(haystack: string, needle: string, claimed: readonly MutableRange[]): number {
  if (needle.length === 0) return -1;
  // Case folding only where it keeps lengths (it does for all but a few letters, e.g. "İ").
  const fold = haystack.toLowerCase().length === haystack.length && needle.toLowerCase().length === needle.length;
  const hay = fold ? haystack.toLowerCase() : haystack;
  const ndl = fold ? needle.toLowerCase() : needle;
  const startsWord = WORD_CHAR.test(ndl[0]!);
  const endsWord = WORD_CHAR.test(ndl[ndl.length - 1]!);
  for (let at = hay.indexOf(ndl); at >= 0; at = hay.indexOf(ndl, at + 1)) {
    const end = at + ndl.length;
    if (startsWord && at > 0 && WORD_CHAR.test(hay[at - 1]!)) continue;
    if (endsWord && end < hay.length && WORD_CHAR.test(hay[end]!)) continue;
    if (claimed.some((r) => at < r.end && end > r.start)) continue;
    return at;
  }
  return -1;
}
