// OpenRaster import (collage-format.md "Importers"): a zip with stack.xml and PNG layers. The first element of a
// stack is its top, so layers are reversed to bottom first; nested stacks add their x, y and opacity.
import { unzipSync } from 'fflate';
import { InputError } from '../errors.ts';
import { decodeLayerImage } from './layer-image.ts';
import { checkImportedCanvas, importedCollage, withOpacity, type ImportedCollage, type ImportedLayer } from './import-common.ts';

interface OraLayer {
  readonly name: string;
  readonly src: string;
  readonly x: number;
  readonly y: number;
  readonly opacity: number;
  readonly visible: boolean;
}

/**
 * Reads an .ora file into a collage: layer name → text, x/y → position, opacity multiplies alpha,
 * visibility="hidden" → visible: false.
 * @throws InputError for a file that is not a zip, has no stack.xml, or names a layer file it does not hold
 */
export async function importOra(bytes: Uint8Array, where: string): Promise<ImportedCollage> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new InputError({ what: `not a readable OpenRaster zip (${e instanceof Error ? e.message : String(e)})`, where, fix: 'save it again as .ora' });
  }
  const stackXml = files['stack.xml'];
  if (stackXml === undefined) throw new InputError({ what: 'the zip has no stack.xml', where, fix: 'save it again as .ora' });
  const { width, height, layers } = parseStack(new TextDecoder().decode(stackXml), where);
  checkImportedCanvas(width, height, where);
  const imported: ImportedLayer[] = [];
  for (const layer of [...layers].reverse()) {
    const png = files[layer.src];
    if (png === undefined) throw new InputError({ what: `stack.xml names ${layer.src}, which the zip does not hold`, where, fix: 'save it again as .ora' });
    let image;
    try {
      image = await decodeLayerImage(png, `${where} → ${layer.src}`);
    } catch (e) {
      throw new InputError({ what: `${layer.src} is not a readable PNG (${e instanceof Error ? e.message : String(e)})`, where, fix: 'save it again as .ora' });
    }
    imported.push({ name: layer.name, image: withOpacity(image, layer.opacity), fields: { x: layer.x, y: layer.y, ...(layer.visible ? {} : { visible: false }) } });
  }
  return importedCollage(width, height, imported);
}

const TAG = /<(\/?)(image|stack|layer)\b([^>]*?)(\/?)>/g;
const ATTRIBUTE = /([\w:-]+)\s*=\s*"([^"]*)"/g;

/** The canvas size and every layer in document order (top first), with nested stacks' offsets applied. */
function parseStack(xml: string, where: string): { width: number; height: number; layers: OraLayer[] } {
  let width = NaN;
  let height = NaN;
  const layers: OraLayer[] = [];
  const frames: { x: number; y: number; opacity: number; visible: boolean }[] = [{ x: 0, y: 0, opacity: 1, visible: true }];
  for (const m of xml.matchAll(TAG)) {
    const [, closing, tag, rawAttrs, selfClosing] = m;
    const attrs = new Map([...rawAttrs!.matchAll(ATTRIBUTE)].map((a) => [a[1]!, unescapeXml(a[2]!)]));
    const num = (k: string, d: number) => (attrs.has(k) ? Number(attrs.get(k)) : d);
    const parent = frames[frames.length - 1]!;
    if (tag === 'image' && closing === '') {
      width = num('w', NaN);
      height = num('h', NaN);
    } else if (tag === 'stack') {
      if (closing === '/') frames.pop();
      else if (selfClosing !== '/') {
        frames.push({ x: parent.x + num('x', 0), y: parent.y + num('y', 0), opacity: parent.opacity * num('opacity', 1), visible: parent.visible && attrs.get('visibility') !== 'hidden' });
      }
    } else if (tag === 'layer' && closing === '') {
      const src = attrs.get('src');
      if (src === undefined) continue;
      layers.push({
        name: attrs.get('name') ?? src.replace(/^.*\//, '').replace(/\.png$/i, ''),
        src,
        x: parent.x + num('x', 0),
        y: parent.y + num('y', 0),
        opacity: parent.opacity * num('opacity', 1),
        visible: parent.visible && attrs.get('visibility') !== 'hidden',
      });
    }
  }
  if (!Number.isFinite(width) || !Number.isFinite(height)) {
    throw new InputError({ what: 'stack.xml has no <image w="…" h="…">', where, fix: 'save it again as .ora' });
  }
  const bad = layers.find((l) => ![l.x, l.y, l.opacity].every(Number.isFinite));
  if (bad !== undefined) throw new InputError({ what: `layer "${bad.name}" has a non-numeric x, y or opacity`, where, fix: 'save it again as .ora' });
  return { width, height, layers };
}

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] ?? '');
}
