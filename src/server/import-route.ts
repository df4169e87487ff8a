// POST /api/import: a PSD / OpenRaster / official-demo JSON file sent as base64 → a collage document whose layer
// images are inline data URIs (the editor opens it as is). Demo JSON may only reference inline images here.
import { IMPORT_EXTENSIONS, importDemo, importOra, importPsd, parseDemoJson, type ImportedCollage } from '../collage/index.ts';
import { InputError, type Problem } from '../errors.ts';
import { pngDataUri } from '../io/index.ts';
import { isRecord } from './job-request.ts';

/**
 * Converts an uploaded layered file. @param raw the request body ({ fileName, base64 })
 * @returns the collage document JSON, images as data:image/png URIs
 * @throws InputError for a bad body, an unsupported extension, a file the importer refuses, a demo image path
 */
export async function importUploadedFile(raw: unknown): Promise<{ document: unknown }> {
  const where = 'request body';
  if (!isRecord(raw) || typeof raw['fileName'] !== 'string' || typeof raw['base64'] !== 'string') {
    throw new InputError({ what: 'expected { "fileName": string, "base64": string }', where, fix: 'send the file name and its bytes as base64' });
  }
  const fileName = raw['fileName'];
  const ext = /\.[A-Za-z0-9]+$/.exec(fileName)?.[0]?.toLowerCase() ?? '';
  if (!(IMPORT_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new InputError({ what: `cannot import "${fileName}"`, where: `${where} → fileName`, fix: `send a ${IMPORT_EXTENSIONS.join(', ')} file (PNG/JPEG layers are added directly in the editor)` });
  }
  const bytes = new Uint8Array(Buffer.from(raw['base64'], 'base64'));
  // The importers name the file in messages; the name never reaches the file system.
  const label = fileName.replace(/[/\\]/g, '_');
  let imported: ImportedCollage;
  if (ext === '.psd') imported = importPsd(bytes, label);
  else if (ext === '.ora') imported = await importOra(bytes, label);
  else {
    const json = parseDemoJson(bytes, label);
    const problems = demoPathReferences(json, label);
    if (problems.length > 0) throw new InputError(problems);
    imported = await importDemo(json, label);
  }
  return { document: await inlineImages(imported) };
}

/** Every demo image reference that is not a data URI (the importer would read it from the server's disk). */
function demoPathReferences(json: unknown, where: string): Problem[] {
  const problems: Problem[] = [];
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${path}[${i}]`));
    else if (isRecord(value)) {
      for (const [key, v] of Object.entries(value)) {
        const at = path.length === 0 ? key : `${path}.${key}`;
        if ((key === 'originalImgUrl' || key === 'original_img_url') && typeof v === 'string' && !v.startsWith('data:')) {
          problems.push({ what: `"${v.slice(0, 60)}" is a file path or URL`, where: `${where} → ${at}`, fix: 'import the demo JSON with the CLI (collage-diffusion import), which reads paths on your own disk' });
        } else visit(v, at);
      }
    }
  };
  visit(json, '');
  return problems;
}

async function inlineImages(imported: ImportedCollage): Promise<unknown> {
  const layers = await Promise.all(
    imported.document.layers.map(async (layer) => {
      const image = imported.images.get(layer.id);
      if (image === undefined) return layer;
      return { ...layer, image: await pngDataUri(image) };
    }),
  );
  return { ...imported.document, layers };
}
