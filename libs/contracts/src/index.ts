export * from './topics';
export * from './request';
export * from './events';
export * from './envelope';
export * from './domain-config';
export * from './config-events';
export * from './gate-api';
