export * from './secret';
export * from './sealing';
