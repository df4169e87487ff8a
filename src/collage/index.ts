// Public API of collage/: documents, placement, compositing, masks, spans, noise maps, importers, planning.
export * from './document-schema.ts';
export * from './document.ts';
export * from './load.ts';
export * from './raster.ts';
export * from './placement.ts';
export * from './composite.ts';
export * from './mask-pyramid.ts';
export * from './scene-text.ts';
export * from './spans.ts';
export * from './noise-map.ts';
export * from './auto-defaults.ts';
export * from './plan.ts';
export { decodeImage, encodePng } from './image-codec.ts';
