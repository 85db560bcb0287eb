export * from './ban-list.ts';
export * from './peer-manager.ts';
