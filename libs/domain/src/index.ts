export * from './reasons';
export * from './target-resolution';
export * from './policy-matrix';
export * from './policy';
export * from './operation';
export * from './directory-errors';
export * from './validation-scenarios';
export * from './protected-accounts';
