export * from './bounded-queue.ts';
export * from './errors.ts';
export * from './gossipsub-options.ts';
export * from './handler.ts';
export * from './peer-penalties.ts';
export * from './topics.ts';
export * from './validation.ts';
