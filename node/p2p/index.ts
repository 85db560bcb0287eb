export * from './host.ts';
export * from './peer-id.ts';
export * from './request-response.ts';
export * from './streams.ts';
