export * from './harness-exports';
export * from './test-environment';
export * from './writeback-fixture';
export * from './test-issuer';
export { committedJson } from './committed-document';
export * from './jaeger';
export * from './prometheus-text';
export * from './migrated-database';
export * from './cli-runner';
