/**
 * Every topic the system uses, in one place. Versioned by name so that an incompatible
 * schema change gets a new topic and old consumers keep working on the old one.
 */
export const Topics = {
  /** Lifecycle events of every operation. Never carries a password, sealed or not. */
  events: 'writeback.events.v1',
  /** The public audit stream: one AuditRecorded per record (docs/asyncapi). */
  audit: 'writeback.audit.v1',
  /** Changes to domain configuration (who, when, before, after). */
  config: 'writeback.config.v1',
  /** Undecodable or invalid messages, with the reason; consumers move on. */
  deadLetters: 'writeback.dead-letters.v1',
  /** Executors' answers to `LookupDirectoryUser` (ADR 0023); no secret, read by the gates. */
  lookups: 'writeback.lookups.v1',
} as const;

/**
 * Configs a topic is created with whatever the site's defaults: by `writeback topics create` and
 * the chart's topic Job (its deploy test keeps the two equal), over the configs given for every
 * topic. A lookup's reply is useless once the lookup has timed out (seconds), and every new gate
 * replica reads `lookups` from its start under a group of its own (ADR 0019), so replies are kept
 * an hour, not the brokers' week. Kafka deletes only closed segments: they roll every 10 minutes,
 * or a quiet topic would keep its first segment for `segment.ms`'s default week.
 */
export const TopicConfigs: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  [Topics.lookups]: { 'retention.ms': '3600000', 'segment.ms': '600000' },
};

/** A domain id: lowercase letters, digits and dashes, starting with a letter (it names a topic). */
export const DOMAIN_ID_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * Commands for one domain's executors. One topic per domain keeps a forest's sealed
 * passwords away from every other forest's executors.
 */
export function executorTopic(domainId: string): string {
  if (!DOMAIN_ID_PATTERN.test(domainId)) throw new Error(`invalid domain id "${domainId}"`);
  return `writeback.executor.${domainId}.v1`;
}

export const EXECUTOR_TOPIC_PATTERN = /^writeback\.executor\.[a-z][a-z0-9-]*\.v1$/;

export function isValidDomainId(value: string): boolean {
  return DOMAIN_ID_PATTERN.test(value);
}

/** One user's operations share a key, so they land on one partition and stay in order. */
export function messageKeyForTarget(userPrincipalName: string): string {
  return userPrincipalName.trim().toLowerCase();
}
