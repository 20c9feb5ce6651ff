import { metrics, SpanKind, startSpan } from '@writeback/observability';
import type { IncomingMessage, OutgoingMessage } from './message-bus';

/** Header names every message carries; the W3C trace context travels in `traceparent`. */
export const MessageHeaders = {
  traceparent: 'traceparent',
  type: 'writeback-type',
  version: 'writeback-version',
  /** The operation (or configuration change) the message belongs to. */
  operationId: 'writeback-correlation-id',
} as const;

/** Attributes of the OpenTelemetry messaging conventions shared by send and process spans. */
function messageAttributes(
  system: string,
  operation: 'send' | 'process',
  message: Pick<OutgoingMessage, 'topic' | 'headers'>,
): Record<string, string> {
  const headers = message.headers ?? {};
  return {
    'messaging.system': system,
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
    'messaging.destination.name': message.topic,
    ...(headers[MessageHeaders.type] ? { 'writeback.message.type': headers[MessageHeaders.type] } : {}),
    ...(headers[MessageHeaders.operationId] ? { 'writeback.operation_id': headers[MessageHeaders.operationId] } : {}),
  };
}

/**
 * Sends messages, each in its own PRODUCER span: the child of the context the message was
 * created in (its `traceparent` header), and the parent named in the header that travels, so
 * the consumer's span continues the same trace. Publishing through an outbox makes the send
 * later than the creation; the trace shows both.
 */
export async function sendInSpans(
  system: string,
  messages: readonly OutgoingMessage[],
  send: (messages: OutgoingMessage[]) => Promise<void>,
): Promise<void> {
  const spans = messages.map((m) =>
    startSpan(`send ${m.topic}`, {
      kind: SpanKind.PRODUCER,
      parent: m.headers?.[MessageHeaders.traceparent] ?? null,
      attributes: messageAttributes(system, 'send', m),
    }),
  );
  try {
    await send(
      messages.map((m, i) => {
        const traceparent = spans[i]?.traceparent;
        return traceparent ? { ...m, headers: { ...m.headers, [MessageHeaders.traceparent]: traceparent } } : m;
      }),
    );
    for (const m of messages) metrics.messagesPublished.inc({ topic: m.topic });
  } catch (error) {
    for (const span of spans) span.fail(error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}

/** Attributes of a CONSUMER span handling one delivered message. */
export function processAttributes(system: string, message: IncomingMessage, groupId: string): Record<string, string> {
  return {
    ...messageAttributes(system, 'process', message),
    'messaging.consumer.group.name': groupId,
    'messaging.destination.partition.id': message.partition,
  };
}
