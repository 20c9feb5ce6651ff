import { z } from 'zod';
import { DomainConfig } from './domain-config';
import { Caller } from './request';

/** A domain's configuration as recorded in its change history: everything but the CA's body. */
export const DomainConfigSnapshot = DomainConfig.omit({ tlsCaPem: true }).extend({
  /** SHA-256 of the configured CA bundle, or null. */
  tlsCaSha256: z.string().nullable(),
});
export type DomainConfigSnapshot = z.infer<typeof DomainConfigSnapshot>;

/** Who changed which domain's configuration, when, from what to what. */
export const DomainConfigurationChangedV1 = z.object({
  type: z.literal('DomainConfigurationChanged'),
  version: z.literal(1),
  data: z.object({
    changeId: z.uuid(),
    domainId: z.string(),
    action: z.enum(['created', 'updated', 'removed']),
    changedBy: Caller,
    changedAt: z.iso.datetime({ offset: true }),
    /** Top-level fields whose value changed. */
    changedFields: z.array(z.string()),
    before: DomainConfigSnapshot.nullable(),
    after: DomainConfigSnapshot.nullable(),
  }),
});

/** Every event on `Topics.config`. */
export const ConfigEvent = z.discriminatedUnion('type', [DomainConfigurationChangedV1]);
export type ConfigEvent = z.infer<typeof ConfigEvent>;
