import { errorCodeOf, retriabilityOf, Topics, WritebackError, type DeadLetterMessage } from '@writeback/contracts';
import { afterFailedDelivery, type DeliveryRetryPolicy } from '@writeback/domain';
import { currentTraceparent, inSpan, markFailed, metrics, SpanKind, withOperation } from '@writeback/observability';
import type { BusLogger, IncomingMessage, MessageHandler, OutgoingMessage } from './message-bus';
import { MessageHeaders, processAttributes } from './telemetry';

export type RetryPolicy = DeliveryRetryPolicy;

/** Tries for an unclassified failure unless WRITEBACK_DELIVERY_MAX_ATTEMPTS says otherwise. */
export const DEFAULT_MAX_UNCLASSIFIED_ATTEMPTS = 5;

export const DEFAULT_RETRY: RetryPolicy = {
  initialDelayMs: 200,
  maxDelayMs: 10_000,
  maxUnclassifiedAttempts: DEFAULT_MAX_UNCLASSIFIED_ATTEMPTS,
};

/**
 * Sent from inside the failed attempt's span, so the dead letter continues its trace.
 * `attempts`: how many tries an unclassified failure had before it was given up.
 */
export function deadLetterFor(
  message: IncomingMessage,
  groupId: string,
  error: unknown,
  attempts?: number,
): OutgoingMessage {
  const described = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const reason = attempts === undefined ? described : `${described} (unclassified failure, ${attempts} tries)`;
  const issues = (error as { issues?: unknown }).issues;
  const traceparent = currentTraceparent();
  const letter: DeadLetterMessage = {
    sourceTopic: message.topic,
    sourcePosition: message.position,
    consumerGroup: groupId,
    reason,
    issues: Array.isArray(issues) ? issues.map(String) : [],
    deadLetteredAt: new Date().toISOString(),
    value: message.value,
    headers: message.headers,
  };
  return {
    topic: Topics.deadLetters,
    key: message.key,
    value: JSON.stringify(letter),
    headers: { ...message.headers, ...(traceparent ? { [MessageHeaders.traceparent]: traceparent } : {}) },
  };
}

export interface DeliveryContext {
  groupId: string;
  /** `messaging.system` of the spans: the transport underneath. */
  system: string;
  logger: BusLogger;
  retry: RetryPolicy;
  publish(messages: OutgoingMessage[]): Promise<void>;
  /** False once the subscription is stopping: the message is then left for redelivery. */
  isRunning(): boolean;
  /** Called while waiting between attempts, e.g. to keep a Kafka group session alive. */
  heartbeat?(): Promise<void>;
}

/** The message stays uncommitted, for this consumer's successor. */
export class DeliveryAborted extends WritebackError {
  readonly code = 'BUS.DELIVERY_ABORTED';
  readonly retriable = true;

  constructor() {
    super('subscription stopped before the message was handled');
  }
}

type Attempt = { result: 'ok' | 'dead_letter' } | { result: 'retry'; error: unknown; delayMs: number };

/**
 * Runs a handler until it succeeds, the message is dead-lettered (a failure known not to be
 * retriable at once, an unclassified one after `retry.maxUnclassifiedAttempts` tries), or the
 * subscription stops (then throws DeliveryAborted so the transport does not commit the
 * message). Each attempt is a CONSUMER span continuing the producer's trace, on behalf of the
 * message's operation.
 */
export async function deliver(message: IncomingMessage, handler: MessageHandler, ctx: DeliveryContext): Promise<void> {
  const operationId = message.headers[MessageHeaders.operationId];
  const attempts = (): Promise<void> => deliverWithRetries(message, handler, ctx);
  return operationId ? withOperation(operationId, attempts) : attempts();
}

async function deliverWithRetries(
  message: IncomingMessage,
  handler: MessageHandler,
  ctx: DeliveryContext,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (!ctx.isRunning()) throw new DeliveryAborted();
    const outcome = await attemptOnce(message, handler, ctx, attempt);
    if (outcome.result !== 'retry') return;
    ctx.logger.warn(
      {
        topic: message.topic,
        position: message.position,
        group: ctx.groupId,
        attempt,
        delay: outcome.delayMs,
        code: errorCodeOf(outcome.error),
        retriability: retriabilityOf(outcome.error),
        err: outcome.error,
      },
      'message handling failed; will retry',
    );
    await waitKeepingSession(outcome.delayMs, ctx);
  }
}

async function attemptOnce(
  message: IncomingMessage,
  handler: MessageHandler,
  ctx: DeliveryContext,
  attempt: number,
): Promise<Attempt> {
  const labels = { topic: message.topic, group: ctx.groupId };
  const stopTimer = metrics.messageDuration.startTimer(labels);
  const outcome = await inSpan(
    `process ${message.topic}`,
    {
      kind: SpanKind.CONSUMER,
      parent: message.headers[MessageHeaders.traceparent] ?? null,
      attributes: { ...processAttributes(ctx.system, message, ctx.groupId), 'writeback.delivery.attempt': attempt },
    },
    async (span): Promise<Attempt> => {
      try {
        await handler(message);
        return { result: 'ok' };
      } catch (error) {
        markFailed(span, error);
        const step = afterFailedDelivery(retriabilityOf(error), attempt, ctx.retry);
        if (step.next === 'retry') return { result: 'retry', error, delayMs: step.delayMs };
        const exhausted = step.because === 'attempts-exhausted';
        ctx.logger.warn(
          {
            topic: message.topic,
            position: message.position,
            group: ctx.groupId,
            attempt,
            because: step.because,
            code: errorCodeOf(error),
            err: error,
          },
          'message dead-lettered',
        );
        await ctx.publish([deadLetterFor(message, ctx.groupId, error, exhausted ? attempt : undefined)]);
        metrics.deadLetters.inc(labels);
        return { result: 'dead_letter' };
      }
    },
  );
  stopTimer({ result: outcome.result });
  if (outcome.result === 'retry') metrics.messageRetries.inc(labels);
  return outcome;
}

/**
 * Waits `ms` while the message is held, heartbeating at least once a second so a Kafka group
 * session does not expire and hand the message to another consumer; stops early once the
 * subscription stops. For the transport's own retries and for a handler retrying by itself.
 */
export async function waitKeepingSession(
  ms: number,
  session: { heartbeat?: (() => Promise<void>) | undefined; isRunning?: () => boolean },
): Promise<void> {
  const until = Date.now() + ms;
  const running = session.isRunning ?? (() => true);
  while (Date.now() < until && running()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, until - Date.now())));
    await session.heartbeat?.();
  }
}
