export { waitFor } from './wait-for';
export type { WaitForOptions } from './wait-for';
export { ensureSystemDeps, harnessCacheDir, harnessFile } from './harness-files';
export {
  canBind,
  createPlainAccount,
  encodeUnicodePwd,
  readUserAttributes,
  SERVICE_ACCOUNT_ACES,
  SERVICE_ACCOUNT_SAM,
  setEntryAttribute,
  setUserPassword,
  startSambaForest,
  withLdapsBind,
} from './samba';
export type {
  AttributeValues,
  BulkSeedUser,
  ForestAccount,
  ForestStartupTimings,
  LdapsEndpoint,
  SambaForest,
  SambaForestOptions,
  SeedUser,
} from './samba';
export {
  DEFAULT_KAFKA_VERSION,
  ensureKafkaRuntime,
  KAFKA_DEFAULT_JVM_OPTIONS,
  startKafkaCluster,
  testKafkaVersion,
} from './kafka-cluster';
export type { KafkaCluster, KafkaClusterOptions, KafkaTopic } from './kafka-cluster';
