// Public API of collage/: documents, placement, compositing, masks, spans, noise maps, importers, planning.
export * from './document-schema.ts';
export * from './document.ts';
export * from './load.ts';
export * from './raster.ts';
// The straight-alpha RGBA image type is io/'s; re-exported because plans and importers hand it out.
export type { RgbaImage } from '../io/index.ts';
export * from './placement.ts';
export * from './composite.ts';
export * from './mask-pyramid.ts';
export * from './scene-text.ts';
export * from './spans.ts';
export * from './noise-map.ts';
export * from './auto-defaults.ts';
export * from './plan.ts';
export * from './polygon-mask.ts';
export * from './import-common.ts';
export * from './import-psd.ts';
export * from './import-ora.ts';
export * from './import-demo.ts';
export * from './import-file.ts';
export * from './compose.ts';
export * from './serialize.ts';
