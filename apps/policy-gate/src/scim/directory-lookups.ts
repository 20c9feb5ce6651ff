import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  decodeLookupReply,
  envelope,
  Topics,
  type LookupCommandEnvelope,
  type LookupReplyEnvelope,
  type LookupResult,
} from '@writeback/contracts';
import { commandMessage, type MessageBus, type Subscription } from '@writeback/messaging';
import { currentTraceparent, inSpan, type Logger } from '@writeback/observability';
import { BUS, LOGGER } from '@writeback/platform';
import { SCIM_OPTIONS, type ScimOptions } from './scim-options';

export type LookupBy = { userPrincipalName: string } | { objectGuid: string };

/** No executor of the domain answered in time: the caller should try again later. */
export type LookupAnswer = LookupResult | { outcome: 'timeout' };

/**
 * This replica's consumer group on the reply topic. The executor's answer must reach the replica
 * that asked, so every replica reads every reply, in a group of its own (the ADR 0019 pattern).
 */
export const lookupReplyGroupId = (): string => `policy-gate.lookups.${hostname()}.${process.pid}`;

/**
 * Asks a domain's executors to find one user (ADR 0023 §2): the gate has no route to AD and no
 * credential for it, so a SCIM lookup is a request on the domain's executor topic and an answer
 * on `writeback.lookups.v1`. Published directly, not through the outbox: a lost request is a
 * timeout, and a retry asks again.
 */
@Injectable()
export class DirectoryLookups implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pending = new Map<string, (answer: LookupAnswer) => void>();
  private subscription: Subscription | undefined;

  constructor(
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SCIM_OPTIONS) private readonly options: ScimOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      groupId: lookupReplyGroupId(),
      topics: [Topics.lookups],
      handler: (message) => {
        this.answered(decodeLookupReply(message.value));
        return Promise.resolve();
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  /** One domain's answer, or `timeout` when none came within the lookup timeout. */
  lookup(domainId: string, by: LookupBy): Promise<LookupAnswer> {
    return inSpan('scim lookup', { attributes: { 'writeback.domain': domainId } }, async (span) => {
      const lookupId = randomUUID();
      const timeoutMs = this.options.lookupTimeoutMs;
      const answer = new Promise<LookupAnswer>((resolve) => {
        const timer = setTimeout(() => {
          this.pending.delete(lookupId);
          resolve({ outcome: 'timeout' });
        }, timeoutMs);
        this.pending.set(lookupId, (settled) => {
          clearTimeout(timer);
          this.pending.delete(lookupId);
          resolve(settled);
        });
      });
      const command: LookupCommandEnvelope = envelope(
        {
          type: 'LookupDirectoryUser',
          version: 1,
          data: { lookupId, domainId, by, expiresAt: new Date(Date.now() + timeoutMs).toISOString() },
        },
        { correlationId: lookupId, traceparent: currentTraceparent() },
      );
      try {
        await this.bus.publish([commandMessage(command)]);
      } catch (error) {
        // As good as lost on the way: the same answer as an executor that stays silent.
        this.pending.get(lookupId)?.({ outcome: 'timeout' });
        this.logger.warn({ lookupId, domainId, error: (error as Error).name }, 'scim lookup not sent');
      }
      const result = await answer;
      span.setAttribute('writeback.lookup.outcome', result.outcome);
      return result;
    });
  }

  /**
   * Asks each domain in parallel; the first `found` wins (an objectGUID is unique across
   * forests). `absent` only when every domain said so; `timeout` when one stayed silent.
   */
  async lookupAnywhere(domainIds: readonly string[], by: LookupBy): Promise<LookupAnswer & { domainId?: string }> {
    if (domainIds.length === 0) return { outcome: 'absent', why: 'not-found' };
    const asked = domainIds.map((domainId) => this.lookup(domainId, by).then((answer) => ({ ...answer, domainId })));
    return new Promise((resolve) => {
      let left = asked.length;
      let worst: LookupAnswer & { domainId?: string } = { outcome: 'absent', why: 'not-found' };
      for (const pending of asked) {
        void pending.then((answer) => {
          if (answer.outcome === 'found') resolve(answer);
          else if (rank(answer) > rank(worst)) worst = answer;
          if (--left === 0) resolve(worst);
        });
      }
    });
  }

  private answered(reply: LookupReplyEnvelope): void {
    const waiting = this.pending.get(reply.data.lookupId);
    // Another replica asked, or this one has stopped waiting.
    if (!waiting) return;
    waiting(reply.data.result);
  }
}

/** Which of several non-`found` answers to give: a silent or failing domain beats "absent". */
function rank(answer: LookupAnswer): number {
  return answer.outcome === 'timeout' ? 2 : answer.outcome === 'failed' ? 1 : 0;
}
