import { Topics, type DeadLetterMessage } from '@writeback/contracts';
import { currentTraceparent, inSpan, markFailed, metrics, SpanKind, withOperation } from '@writeback/observability';
import type { BusLogger, IncomingMessage, MessageHandler, OutgoingMessage } from './message-bus';
import { MessageHeaders, processAttributes } from './telemetry';

export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 200, maxDelayMs: 10_000 };

const isPoison = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === false;

/** Full jitter: spreads retries of many consumers so they do not hit a recovering peer together. */
export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** Sent from inside the failed attempt's span, so the dead letter continues its trace. */
export function deadLetterFor(message: IncomingMessage, groupId: string, error: unknown): OutgoingMessage {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
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

export class DeliveryAborted extends Error {
  constructor() {
    super('subscription stopped before the message was handled');
    this.name = 'DeliveryAborted';
  }
}

type Attempt = { result: 'ok' | 'dead_letter' } | { result: 'retry'; error: unknown };

/**
 * Runs a handler until it succeeds, dead-letters a poison message, or the subscription stops
 * (then throws DeliveryAborted so the transport does not commit the message). Each attempt is
 * a CONSUMER span continuing the producer's trace, on behalf of the message's operation.
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
  for (let attempt = 0; ; attempt++) {
    if (!ctx.isRunning()) throw new DeliveryAborted();
    const outcome = await attemptOnce(message, handler, ctx, attempt);
    if (outcome.result !== 'retry') return;
    const delay = backoffDelay(attempt, ctx.retry);
    ctx.logger.warn(
      { topic: message.topic, position: message.position, group: ctx.groupId, attempt, delay, err: outcome.error },
      'message handling failed; will retry',
    );
    await waitKeepingSession(delay, ctx);
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
      attributes: { ...processAttributes(ctx.system, message, ctx.groupId), 'writeback.delivery.attempt': attempt + 1 },
    },
    async (span): Promise<Attempt> => {
      try {
        await handler(message);
        return { result: 'ok' };
      } catch (error) {
        markFailed(span, error);
        if (!isPoison(error)) return { result: 'retry', error };
        ctx.logger.warn(
          { topic: message.topic, position: message.position, group: ctx.groupId, err: error },
          'message dead-lettered',
        );
        await ctx.publish([deadLetterFor(message, ctx.groupId, error)]);
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
