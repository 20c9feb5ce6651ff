import { z } from 'zod';

/**
 * A message of `writeback.dead-letters.v1`: what a consumer could not accept, why, and the
 * original message as it arrived, so that it can be replayed to its topic once fixed.
 */
export const DeadLetterMessage = z.object({
  sourceTopic: z.string().min(1),
  /** Transport position (partition@offset in Kafka, the log offset in PostgreSQL). */
  sourcePosition: z.string().min(1),
  consumerGroup: z.string().min(1),
  /**
   * `<ErrorName>: <message>` of the refusal; for an unclassified failure given up after its
   * tries, followed by ` (unclassified failure, <tries> tries)`.
   */
  reason: z.string(),
  /** Which fields broke the contract, for a ContractViolation. */
  issues: z.array(z.string()).default([]),
  deadLetteredAt: z.iso.datetime({ offset: true }),
  value: z.string(),
  headers: z.record(z.string(), z.string()).default({}),
});
export type DeadLetterMessage = z.infer<typeof DeadLetterMessage>;

/** A dead letter as `GET /v1/dead-letters` lists it. */
export const DeadLetterView = DeadLetterMessage.extend({
  id: z.string(),
  key: z.string(),
  recordedAt: z.string(),
  replayedAt: z.string().nullable(),
  replayedBy: z.string().nullable(),
});
export type DeadLetterView = z.infer<typeof DeadLetterView>;
