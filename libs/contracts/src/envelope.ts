import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AuditRecordedV1 } from './audit-events';
import { ConfigEvent } from './config-events';
import { WritebackError } from './errors';
import { ExecutorCommand, WritebackEvent } from './events';
import { DirectoryUserLookedUpV1 } from './lookups';

const EnvelopeMeta = z.object({
  eventId: z.uuid(),
  occurredAt: z.iso.datetime({ offset: true }),
  /** The operation id: every message about one operation shares it. */
  correlationId: z.string().min(1),
  /** The eventId of the message that caused this one; null for the first. */
  causationId: z.string().nullable(),
  /** W3C trace context of the producer, so one writeback is one trace. */
  traceparent: z.string().nullable(),
});
export type EnvelopeMeta = z.infer<typeof EnvelopeMeta>;

export const EventEnvelope = z.intersection(EnvelopeMeta, WritebackEvent);
export type EventEnvelope = z.infer<typeof EventEnvelope>;

export const CommandEnvelope = z.intersection(EnvelopeMeta, ExecutorCommand);
export type CommandEnvelope = z.infer<typeof CommandEnvelope>;
export type ApplyCommandEnvelope = Extract<CommandEnvelope, { type: 'ApplyPasswordWriteback' }>;
export type LookupCommandEnvelope = Extract<CommandEnvelope, { type: 'LookupDirectoryUser' }>;

export const ConfigEventEnvelope = z.intersection(EnvelopeMeta, ConfigEvent);
export type ConfigEventEnvelope = z.infer<typeof ConfigEventEnvelope>;

/** An executor's answer to a lookup, on `Topics.lookups` (ADR 0023). */
export const LookupReplyEnvelope = z.intersection(EnvelopeMeta, DirectoryUserLookedUpV1);
export type LookupReplyEnvelope = z.infer<typeof LookupReplyEnvelope>;

/** A message of the public audit topic, as its JSON Schema (docs/asyncapi) describes it. */
export const AuditMessage = EnvelopeMeta.extend(AuditRecordedV1.shape).meta(AuditRecordedV1.meta() ?? {});
export type AuditMessage = z.infer<typeof AuditMessage>;

export interface EnvelopeContext {
  correlationId: string;
  causationId?: string | null;
  traceparent?: string | null;
  occurredAt?: string;
}

export function envelope<
  T extends WritebackEvent | ExecutorCommand | ConfigEvent | AuditRecordedV1 | DirectoryUserLookedUpV1,
>(message: T, context: EnvelopeContext): T & EnvelopeMeta {
  return {
    eventId: randomUUID(),
    occurredAt: context.occurredAt ?? new Date().toISOString(),
    correlationId: context.correlationId,
    causationId: context.causationId ?? null,
    traceparent: context.traceparent ?? null,
    ...message,
  };
}

export class ContractViolation extends WritebackError {
  readonly code = 'CONTRACT.VIOLATION';
  /** A message that breaks its contract never gets better by redelivery: dead-letter it. */
  readonly retriable = false;

  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
  }
}

function decodeWith<T>(schema: z.ZodType<T>, raw: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ContractViolation(`${what} is not JSON`, []);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ContractViolation(
      `${what} does not match its contract`,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return parsed.data;
}

export function decodeEvent(raw: string): EventEnvelope {
  return decodeWith(EventEnvelope, raw, 'event');
}

export function decodeCommand(raw: string): CommandEnvelope {
  return decodeWith(CommandEnvelope, raw, 'command');
}

export function decodeConfigEvent(raw: string): ConfigEventEnvelope {
  return decodeWith(ConfigEventEnvelope, raw, 'configuration event');
}

export function decodeLookupReply(raw: string): LookupReplyEnvelope {
  return decodeWith(LookupReplyEnvelope, raw, 'lookup reply');
}
