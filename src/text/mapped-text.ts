// Text that remembers where each of its UTF-16 code units came from in the original input, so that clean-up
// (unescaping, mojibake repair, whitespace collapse, lower-casing) keeps token offsets pointing into the user's text.

/** `text` plus, per code unit i of `text`, the range [starts[i], ends[i]) of the original input it came from. */
export interface MappedText {
  readonly text: string;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

/** The identity mapping of `text`, offset by `base` (the position of `text` inside a larger input). */
export function mapIdentity(text: string, base = 0): MappedText {
  const starts = new Int32Array(text.length);
  const ends = new Int32Array(text.length);
  for (let i = 0; i < text.length; i++) {
    starts[i] = base + i;
    ends[i] = base + i + 1;
  }
  return { text, starts, ends };
}

/**
 * Replaces every match of `pattern` (must have the g flag) by `replace(match)`; every code unit of a replacement maps
 * to the whole source range of its match. `replace` returning undefined keeps the match and its mapping.
 */
export function rewrite(source: MappedText, pattern: RegExp, replace: (match: RegExpExecArray) => string | undefined): MappedText {
  pattern.lastIndex = 0;
  if (!pattern.test(source.text)) return source;
  pattern.lastIndex = 0;
  const { text, starts, ends } = source;
  const parts: string[] = [];
  const outStarts: number[] = [];
  const outEnds: number[] = [];
  let changed = false;
  let done = 0;
  const keep = (from: number, to: number): void => {
    if (to <= from) return;
    parts.push(text.slice(from, to));
    for (let i = from; i < to; i++) {
      outStarts.push(starts[i]!);
      outEnds.push(ends[i]!);
    }
  };
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    if (m[0].length === 0) {
      pattern.lastIndex++;
      continue;
    }
    const from = m.index;
    const to = from + m[0].length;
    const replacement = replace(m);
    keep(done, from);
    if (replacement === undefined || replacement === m[0]) {
      keep(from, to);
    } else {
      changed = true;
      parts.push(replacement);
      const s = starts[from]!;
      const e = ends[to - 1]!;
      for (let i = 0; i < replacement.length; i++) {
        outStarts.push(s);
        outEnds.push(e);
      }
    }
    done = to;
  }
  if (!changed) return source;
  keep(done, text.length);
  return { text: parts.join(''), starts: Int32Array.from(outStarts), ends: Int32Array.from(outEnds) };
}

/** Python's str.isspace() set, which CLIP's `re.sub(r'\s+', ' ', text)` collapses (JS \s lacks \x1c-\x1f, \x85). */
// eslint-disable-next-line no-control-regex -- \x1c-\x1f are whitespace to Python
const WHITESPACE_RUN = /[\s\x1c-\x1f\x85]+/g;

// eslint-disable-next-line no-control-regex -- as above
const SPECIAL_WHITESPACE = /[^\S ]|[\x1c-\x1f\x85]| {2}/;

/** Collapses whitespace runs to one space and strips both ends (CLIP's whitespace_clean). */
export function collapseWhitespace(source: MappedText): MappedText {
  const t = source.text;
  if (!SPECIAL_WHITESPACE.test(t) && t[0] !== ' ' && t[t.length - 1] !== ' ') return source;
  const collapsed = rewrite(source, WHITESPACE_RUN, (m) => (m[0] === ' ' ? undefined : ' '));
  let from = 0;
  let to = collapsed.text.length;
  while (from < to && collapsed.text[from] === ' ') from++;
  while (to > from && collapsed.text[to - 1] === ' ') to--;
  if (from === 0 && to === collapsed.text.length) return collapsed;
  return { text: collapsed.text.slice(from, to), starts: collapsed.starts.slice(from, to), ends: collapsed.ends.slice(from, to) };
}

const NON_ASCII_CODE_POINT = /[^\0-\x7f]/gu;

/**
 * Unicode lower-casing (as Python's str.lower(), final sigma included). When a character changes length ('İ' → 'i̇'),
 * offsets follow per code point, and the whole-string result (context rules) is kept where the lengths agree.
 */
export function lowerCase(source: MappedText): MappedText {
  const lower = source.text.toLowerCase();
  if (lower.length === source.text.length) return lower === source.text ? source : { ...source, text: lower };
  const perCodePoint = rewrite(source, NON_ASCII_CODE_POINT, (m) => m[0].toLowerCase());
  const text = perCodePoint.text.length === lower.length ? lower : perCodePoint.text.toLowerCase();
  return { ...perCodePoint, text };
}
