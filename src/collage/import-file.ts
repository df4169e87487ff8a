// `collage-diffusion import FILE`: picks the importer by extension (.psd, .ora, .json = official demo state) and
// writes `<name>.collage.json` + `layers/*.png` beside the input.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError } from '../errors.ts';
import { importDemo, parseDemoJson } from './import-demo.ts';
import { importOra } from './import-ora.ts';
import { importPsd } from './import-psd.ts';
import { writeImportedCollage, type ImportedCollage } from './import-common.ts';

/** Extensions the importers read: Photoshop, OpenRaster, the official demo's JSON state. */
export const IMPORT_EXTENSIONS = ['.psd', '.ora', '.json'] as const;

/** Reads and converts a layered file. @param demoIndex which collage of a demo examples list @throws InputError */
export async function importCollageFile(path: string, demoIndex = 0): Promise<ImportedCollage> {
  const ext = extname(path).toLowerCase();
  if (!(IMPORT_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new InputError({ what: `cannot import "${ext || 'a file without extension'}"`, where: path, fix: `use one of ${IMPORT_EXTENSIONS.join(', ')}` });
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new InputError({ what: `cannot read the file (${e instanceof Error ? e.message : String(e)})`, where: path, fix: 'check the path' });
  }
  if (ext === '.psd') return importPsd(bytes, path);
  if (ext === '.ora') return importOra(bytes, path);
  return importDemo(parseDemoJson(bytes, path), path, demoIndex);
}

/** Imports and writes next to the input. @returns the paths written, the document first */
export async function importAndWrite(path: string, demoIndex = 0): Promise<string[]> {
  return writeImportedCollage(path, await importCollageFile(path, demoIndex));
}
