export * from './harness-exports';
export * from './test-environment';
export * from './writeback-fixture';
export * from './test-issuer';
export * from './otlp-receiver';
export * from './prometheus-text';
