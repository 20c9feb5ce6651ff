import { Topics, type DeadLetterMessage } from '@writeback/contracts';
import type { BusLogger, IncomingMessage, MessageHandler, OutgoingMessage } from './message-bus';

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

export function deadLetterFor(message: IncomingMessage, groupId: string, error: unknown): OutgoingMessage {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const issues = (error as { issues?: unknown }).issues;
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
    headers: message.headers,
  };
}

export interface DeliveryContext {
  groupId: string;
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

/**
 * Runs a handler until it succeeds, dead-letters a poison message, or the subscription stops
 * (then throws DeliveryAborted so the transport does not commit the message).
 */
export async function deliver(message: IncomingMessage, handler: MessageHandler, ctx: DeliveryContext): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (!ctx.isRunning()) throw new DeliveryAborted();
    try {
      await handler(message);
      return;
    } catch (error) {
      if (isPoison(error)) {
        ctx.logger.warn(
          { topic: message.topic, position: message.position, group: ctx.groupId, err: error },
          'message dead-lettered',
        );
        await ctx.publish([deadLetterFor(message, ctx.groupId, error)]);
        return;
      }
      const delay = backoffDelay(attempt, ctx.retry);
      ctx.logger.warn(
        { topic: message.topic, position: message.position, group: ctx.groupId, attempt, delay, err: error },
        'message handling failed; will retry',
      );
      await pause(delay, ctx);
    }
  }
}

async function pause(ms: number, ctx: DeliveryContext): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && ctx.isRunning()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, until - Date.now())));
    await ctx.heartbeat?.();
  }
}
