export * from './secret';
export * from './sealing';
export * from './key-files';
