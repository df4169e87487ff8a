// Public API of server/: the local generation server behind the editor (issue 12) and its HTTP API types.
export * from './api-types.ts';
export { createServer, DEFAULT_BODY_LIMIT_BYTES, type CollageServer, type ServerModel, type ServerOptions } from './server.ts';
export { createPreviewGenerator, type Generator, type GenerationRequest, type PreviewGeneratorOptions } from './generator.ts';
export { JobQueue, DEFAULT_JOB_QUEUE_OPTIONS, type JobQueueOptions } from './job-queue.ts';
export { createPipelineGenerator, generationRecord } from './pipeline-generator.ts';
