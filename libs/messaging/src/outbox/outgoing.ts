import {
  executorTopic,
  messageKeyForTarget,
  targetOf,
  Topics,
  type CommandEnvelope,
  type AuditMessage,
  type ConfigEventEnvelope,
  type EventEnvelope,
  type LookupReplyEnvelope,
} from '@writeback/contracts';
import type { OutgoingMessage } from '../message-bus';
import { MessageHeaders } from '../telemetry';

/*
 * How each kind of envelope travels: its topic, its key (what keeps related messages in order)
 * and the headers a consumer reads before the body.
 */

/** The envelope's traceparent names the span that created the message; the send span replaces it. */
const headersOf = (
  envelope: EventEnvelope | CommandEnvelope | ConfigEventEnvelope | AuditMessage | LookupReplyEnvelope,
): Record<string, string> => ({
  [MessageHeaders.type]: envelope.type,
  [MessageHeaders.version]: String(envelope.version),
  [MessageHeaders.operationId]: envelope.correlationId,
  ...(envelope.traceparent ? { [MessageHeaders.traceparent]: envelope.traceparent } : {}),
});

export function eventMessage(envelope: EventEnvelope): OutgoingMessage {
  return {
    topic: Topics.events,
    key: messageKeyForTarget(targetOf(envelope)),
    value: JSON.stringify(envelope),
    headers: headersOf(envelope),
  };
}

export function commandMessage(envelope: CommandEnvelope): OutgoingMessage {
  return {
    topic: executorTopic(envelope.data.domainId),
    key:
      envelope.type === 'ApplyPasswordWriteback'
        ? messageKeyForTarget(envelope.data.request.target.userPrincipalName)
        : envelope.data.lookupId,
    value: JSON.stringify(envelope),
    headers: headersOf(envelope),
  };
}

/** Keyed by domain: one domain's changes stay in order. */
export function configEventMessage(envelope: ConfigEventEnvelope): OutgoingMessage {
  return {
    topic: Topics.config,
    key: envelope.data.domainId,
    value: JSON.stringify(envelope),
    headers: headersOf(envelope),
  };
}

/** Keyed by chain (the domain): one domain's records reach subscribers in chain order. */
export function auditMessage(envelope: AuditMessage): OutgoingMessage {
  return {
    topic: Topics.audit,
    key: envelope.data.chain,
    value: JSON.stringify(envelope),
    headers: headersOf(envelope),
  };
}

/**
 * Keyed by lookup: replies need no order among themselves. Published directly, not through an
 * outbox: a lost reply is a timeout for the asker, who then asks again (ADR 0023).
 */
export function lookupReplyMessage(envelope: LookupReplyEnvelope): OutgoingMessage {
  return {
    topic: Topics.lookups,
    key: envelope.data.lookupId,
    value: JSON.stringify(envelope),
    headers: headersOf(envelope),
  };
}
