// CLIP's text clean-up with offsets kept: the part of ftfy.fix_text (ftfy 6.1.1) that prompts need, html.unescape,
// whitespace collapse and lower-casing. openai/CLIP simple_tokenizer.py: basic_clean = ftfy.fix_text, html.unescape ×2,
// strip; then whitespace_clean; lower. transformers' CLIPTokenizer: whitespace_clean(ftfy.fix_text(text)).lower().
import { collapseWhitespace, lowerCase, rewrite, type MappedText } from './mapped-text.ts';

/** The two clean-up pipelines; they differ only in openai's extra double html.unescape (see cleanClipText). */
export const TEXT_CLEANUPS = ['huggingface', 'openai'] as const;
export type TextCleanup = (typeof TEXT_CLEANUPS)[number];

/** Named entities: the ones prompts meet (html.entities.html5 has 2231; beyond this list is out of scope). */
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '©', reg: '®', trade: '™', hellip: '…',
  mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', sbquo: '‚', bdquo: '„', laquo: '«',
  raquo: '»', bull: '•', middot: '·', deg: '°', plusmn: '±', times: '×', divide: '÷', euro: '€', pound: '£',
  yen: '¥', cent: '¢', sect: '§', para: '¶', iexcl: '¡', iquest: '¿', frac12: '½', frac14: '¼', frac34: '¾',
  sup2: '²', sup3: '³', micro: 'µ', larr: '←', rarr: '→', uarr: '↑', darr: '↓', harr: '↔', infin: '∞', hearts: '♥',
  star: '☆', szlig: 'ß', aelig: 'æ', AElig: 'Æ', oslash: 'ø', Oslash: 'Ø', aring: 'å', Aring: 'Å', ccedil: 'ç',
  Ccedil: 'Ç', ntilde: 'ñ', Ntilde: 'Ñ', eth: 'ð', thorn: 'þ', shy: '\u00ad', AMP: '&', LT: '<', GT: '>', QUOT: '"',
};
const ACCENTS: Readonly<Record<string, string>> = { acute: '\u0301', grave: '\u0300', circ: '\u0302', uml: '\u0308', tilde: '\u0303' };
/** Entities html.unescape also accepts without the semicolon (a subset of its legacy list). */
const LEGACY_NO_SEMICOLON = ['amp', 'lt', 'gt', 'quot', 'nbsp', 'copy', 'reg', 'AMP', 'LT', 'GT', 'QUOT'];

function namedEntity(name: string): string | undefined {
  const direct = NAMED_ENTITIES[name];
  if (direct !== undefined) return direct;
  const accent = /^([a-zA-Z])(acute|grave|circ|uml|tilde)$/.exec(name);
  if (accent) return (accent[1]! + ACCENTS[accent[2]!]!).normalize('NFC');
  return undefined;
}

/** Windows-1252 bytes 0x80–0x9F (undefined ones stay as the C1 code point, as ftfy's "sloppy" codec does). */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const CP1252_BYTE = new Map<string, number>();
for (let i = 0; i < 32; i++) CP1252_BYTE.set(CP1252_HIGH[i]!, 0x80 + i);
for (let b = 0x80; b < 0xa0; b++) if (!CP1252_BYTE.has(String.fromCharCode(b))) CP1252_BYTE.set(String.fromCharCode(b), b);
for (let b = 0xa0; b < 0x100; b++) CP1252_BYTE.set(String.fromCharCode(b), b);

function numericEntity(digits: string, hex: boolean): string {
  const code = parseInt(digits, hex ? 16 : 10);
  if (code >= 0x80 && code <= 0x9f) return CP1252_HIGH[code - 0x80]!;
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(code);
}

const FTFY_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;
/** ftfy.fixes.unescape_html: only complete `&…;` entities. */
function ftfyUnescape(t: MappedText): MappedText {
  return rewrite(t, FTFY_ENTITY, (m) => {
    const body = m[0].slice(1, -1);
    if (body[0] !== '#') return namedEntity(body);
    const hex = body[1] === 'x' || body[1] === 'X';
    const digits = body.slice(hex ? 2 : 1);
    return (hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits) ? numericEntity(digits, hex) : undefined;
  });
}

const HTML_ENTITY = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;
/** Python's html.unescape (named entities limited to the table above). */
function htmlUnescape(t: MappedText): MappedText {
  return rewrite(t, HTML_ENTITY, (m) => {
    const body = m[1]!;
    if (body[0] === '#') {
      const hex = body[1] === 'x' || body[1] === 'X';
      return numericEntity(body.slice(hex ? 2 : 1).replace(';', ''), hex);
    }
    if (body.endsWith(';')) {
      const full = namedEntity(body.slice(0, -1));
      if (full !== undefined) return full;
    }
    // Longest legacy prefix without a semicolon ("&ampx" → "&x").
    for (let k = Math.min(body.length, 6); k > 1; k--) {
      const name = body.slice(0, k);
      if (LEGACY_NO_SEMICOLON.includes(name)) return namedEntity(name)! + body.slice(k);
    }
    return undefined;
  });
}

const MOJIBAKE_RUN = /[\u0080-\u00ff€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]{2,}/g;
/**
 * ftfy's fix_encoding for the common case: UTF-8 bytes decoded as Windows-1252/Latin-1 ("cafÃ©" → "café").
 * Inside runs of such characters, each complete, valid UTF-8 multi-byte sequence is decoded; everything else stays.
 */
function fixMojibake(t: MappedText): MappedText {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return rewrite(t, MOJIBAKE_RUN, (m) => {
    const chars = m[0];
    const bytes = Uint8Array.from(chars, (c) => CP1252_BYTE.get(c)!);
    let out = '';
    let changed = false;
    for (let i = 0; i < bytes.length; ) {
      const lead = bytes[i]!;
      const size = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 1;
      if (size > 1 && i + size <= bytes.length) {
        try {
          out += decoder.decode(bytes.subarray(i, i + size));
          changed = true;
          i += size;
          continue;
        } catch {
          // not a valid sequence: keep the character
        }
      }
      out += chars[i];
      i++;
    }
    return changed ? out : undefined;
  });
}

// These rewrites map whole runs, so offsets of untouched characters stay exact and a repaired run maps to its source.
const C1_CONTROL = /[\u0080-\u009f]/g;
const LIGATURE = /[\u0132\u0133\u013f\u0140\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]/g;
const WIDE = /[\u3000\uff01-\uff5e\uff61-\uffdc\uffe8-\uffee]/g;
const SINGLE_QUOTE = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTE = /[\u201c-\u201f]/g;
const LINE_BREAK = /\r\n|[\r\u2028\u2029\u0085]/g;
// eslint-disable-next-line no-control-regex -- ftfy removes ANSI terminal escapes, which start with ESC
const TERMINAL_ESCAPE = /\x1b\[(?:\d|;)*[a-zA-Z]/g;
// eslint-disable-next-line no-control-regex -- ftfy's remove_control_chars set
const CONTROL = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]|\ud834[\udd73-\udd7a]|\udb40[\udc00-\udc7f]/g;
const CLUSTER = /\P{M}\p{M}*/gu;

function fixOnce(t: MappedText, unescape: boolean): MappedText {
  if (unescape) t = ftfyUnescape(t);
  t = fixMojibake(t);
  t = rewrite(t, C1_CONTROL, (m) => CP1252_HIGH[m[0].charCodeAt(0) - 0x80]);
  t = rewrite(t, LIGATURE, (m) => m[0].normalize('NFKC'));
  t = rewrite(t, WIDE, (m) => m[0].normalize('NFKC'));
  t = rewrite(t, SINGLE_QUOTE, () => "'");
  t = rewrite(t, DOUBLE_QUOTE, () => '"');
  t = rewrite(t, LINE_BREAK, () => '\n');
  t = rewrite(t, TERMINAL_ESCAPE, () => '');
  t = rewrite(t, CONTROL, () => '');
  if (t.text.normalize('NFC') !== t.text) t = rewrite(t, CLUSTER, (m) => m[0].normalize('NFC'));
  return t;
}

/** The quick test that lets ASCII prompts without `&`, controls or escapes skip every ftfy step. */
const NEEDS_FTFY = /[^\x20-\x25\x27-\x7e\t\n]/;

/**
 * ftfy.fix_text (6.1.1 defaults), the subset prompts need: HTML entities ("auto": skipped for a line once a '<' has
 * been seen, as ftfy does), mojibake, C1 controls, ligatures, full-width forms, curly quotes, line breaks, terminal
 * escapes, control characters, NFC; repeated until nothing changes, as ftfy's loop does.
 */
export function ftfyFixText(input: MappedText): MappedText {
  if (!NEEDS_FTFY.test(input.text)) return input;
  const lines = input.text.split(/(?<=\n)/);
  let unescape = true;
  let pos = 0;
  const fixed: MappedText[] = [];
  for (const line of lines) {
    const slice: MappedText = {
      text: line,
      starts: input.starts.subarray(pos, pos + line.length),
      ends: input.ends.subarray(pos, pos + line.length),
    };
    pos += line.length;
    if (line.includes('<')) unescape = false;
    let t = slice;
    for (let i = 0; i < 8; i++) {
      const next = fixOnce(t, unescape);
      if (next === t || next.text === t.text) break;
      t = next;
    }
    fixed.push(t);
  }
  return concat(fixed);
}

function concat(parts: readonly MappedText[]): MappedText {
  if (parts.length === 1) return parts[0]!;
  const length = parts.reduce((n, p) => n + p.text.length, 0);
  const starts = new Int32Array(length);
  const ends = new Int32Array(length);
  let at = 0;
  for (const p of parts) {
    starts.set(p.starts, at);
    ends.set(p.ends, at);
    at += p.text.length;
  }
  return { text: parts.map((p) => p.text).join(''), starts, ends };
}

/**
 * CLIP's clean-up of one text chunk, offsets kept.
 * 'huggingface' (transformers' CLIPTokenizer, what diffusers pipelines use): whitespace_clean(fix_text(text)).lower().
 * 'openai' (clip/simple_tokenizer.py): fix_text, then html.unescape twice, then the same. They differ only for text
 * with a '<' and escaped entities: ftfy leaves the entities alone there, openai's unescape still decodes them.
 */
export function cleanClipText(input: MappedText, cleanup: TextCleanup): MappedText {
  let t = ftfyFixText(input);
  if (cleanup === 'openai' && t.text.includes('&')) t = htmlUnescape(htmlUnescape(t));
  return lowerCase(collapseWhitespace(t));
}
