import type { EnvelopeMeta } from '@writeback/contracts';
import type { IncomingMessage } from '@writeback/messaging';
import { inSpan, SpanKind } from '@writeback/observability';

/**
 * Handles one consumed message inside a CONSUMER span that continues the producer's trace,
 * so a writeback is one trace from the HTTP request to the audit record.
 */
export function inConsumerSpan<T>(
  message: IncomingMessage,
  decoded: Pick<EnvelopeMeta, 'traceparent' | 'correlationId'> & { type: string },
  work: () => Promise<T>,
): Promise<T> {
  return inSpan(
    `${message.topic} process`,
    {
      kind: SpanKind.CONSUMER,
      parent: decoded.traceparent,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': message.topic,
        'writeback.operation.id': decoded.correlationId,
        'writeback.message.type': decoded.type,
      },
    },
    work,
  );
}
