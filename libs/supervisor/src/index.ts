export * from './service-process';
export * from './system';
