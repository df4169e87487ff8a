// PSD import (collage-format.md "Importers"): each pixel layer becomes a collage layer, bottom first; the layer
// name becomes its text, its bounds its position, its opacity multiplies alpha, hidden layers stay hidden.
import { initializeCanvas, readPsd, type Layer } from 'ag-psd';
import { InputError } from '../errors.ts';
import { checkImportedCanvas, importedCollage, withOpacity, type ImportedCollage, type ImportedLayer } from './import-common.ts';
import type { RgbaImage } from '../io/index.ts';

// ag-psd allocates pixel buffers through createImageData, which by default asks a canvas for them; plain
// buffers are all we need (no canvas in Node), and no path we use draws on a canvas.
initializeCanvas(
  () => {
    throw new Error('no canvas in collage-diffusion: PSD layers are read as pixel data');
  },
  ((width: number, height: number) => ({ width, height, data: new Uint8ClampedArray(width * height * 4), colorSpace: 'srgb' })) as unknown as NonNullable<
    Parameters<typeof initializeCanvas>[1]
  >,
);

/** Largest PSD layer or canvas side accepted, px (ag-psd decodes whatever sizes a file declares). */
const MAX_SIDE_PX = 16384;

/**
 * Reads a PSD into a collage. Groups are flattened (a hidden group hides its layers); layers without pixels
 * (empty, adjustment) are skipped. Only 8-bit RGB documents are supported.
 * @throws InputError for an unreadable PSD, another colour depth, or a canvas that cannot be a collage canvas
 */
export function importPsd(bytes: Uint8Array, where: string): ImportedCollage {
  let psd;
  try {
    psd = readPsd(bytes, { useImageData: true, skipCompositeImageData: true, skipThumbnail: true, skipLinkedFilesData: true });
  } catch (e) {
    throw new InputError({ what: `not a readable PSD (${e instanceof Error ? e.message : String(e)})`, where, fix: 'save it again from your editor as PSD' });
  }
  if ((psd.bitsPerChannel ?? 8) !== 8) {
    throw new InputError({ what: `${psd.bitsPerChannel} bits per channel`, where, fix: 'convert the document to 8 bits per channel' });
  }
  if (psd.width > MAX_SIDE_PX || psd.height > MAX_SIDE_PX) {
    throw new InputError({ what: `canvas ${psd.width}×${psd.height} px is too large`, where, fix: 'resize the canvas' });
  }
  checkImportedCanvas(psd.width, psd.height, where);
  const layers: ImportedLayer[] = [];
  collect(psd.children ?? [], false, layers);
  return importedCollage(psd.width, psd.height, layers);
}

function collect(children: readonly Layer[], hiddenParent: boolean, out: ImportedLayer[]): void {
  // ag-psd lists children bottom first, as the file stores them.
  for (const layer of children) {
    const hidden = hiddenParent || layer.hidden === true;
    if (layer.children !== undefined) {
      collect(layer.children, hidden, out);
      continue;
    }
    const pixels = layer.imageData;
    if (pixels === undefined || pixels.width === 0 || pixels.height === 0) continue;
    if (pixels.width > MAX_SIDE_PX || pixels.height > MAX_SIDE_PX || !(pixels.data instanceof Uint8ClampedArray || pixels.data instanceof Uint8Array)) continue;
    const image: RgbaImage = { width: pixels.width, height: pixels.height, data: new Uint8Array(pixels.data) };
    out.push({
      name: layer.name ?? 'layer',
      image: withOpacity(image, layer.opacity ?? 1),
      fields: { x: layer.left ?? 0, y: layer.top ?? 0, ...(hidden ? { visible: false } : {}) },
    });
  }
}
