// JSON as Python's json module writes it: diffusers configs may hold NaN, Infinity and -Infinity (invalid strict
// JSON, e.g. "lambda_min_clipped": -Infinity in DPMSolverMultistepScheduler's scheduler_config.json).
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.ts';

const SENTINEL = '\u0000py:';
const BARE = /-?Infinity|NaN/y;

/** Parses JSON that may contain bare NaN / Infinity / -Infinity outside strings. @throws InputError naming `where` */
export function parsePythonJson(text: string, where: string): unknown {
  let out = '';
  let inString = false;
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    if (c === 'N' || c === 'I' || c === '-') {
      BARE.lastIndex = i;
      const m = BARE.exec(text);
      if (m) {
        out += text.slice(last, i) + JSON.stringify(SENTINEL + m[0]);
        i += m[0].length - 1;
        last = i + 1;
      }
    }
  }
  out += text.slice(last);
  try {
    return JSON.parse(out, (_key, value: unknown) => {
      if (typeof value === 'string' && value.startsWith(SENTINEL)) return Number(value.slice(SENTINEL.length));
      return value;
    });
  } catch (e) {
    throw new InputError(
      { what: `not valid JSON (${e instanceof Error ? e.message : String(e)})`, where, fix: 'repair or re-download the file' },
      { cause: e },
    );
  }
}

/** Reads and parses a (Python-written) JSON file. @throws InputError naming the file when unreadable or malformed */
export async function readPythonJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : String(e);
    throw new InputError({ what: `cannot read the file (${code})`, where: path, fix: 'check the path' }, { cause: e });
  }
  return parsePythonJson(text, path);
}
