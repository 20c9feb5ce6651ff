import { Inject, Injectable } from '@nestjs/common';
import { envelope, type LookupCommandEnvelope, type LookupResult } from '@writeback/contracts';
import { DirectoryError, type UserKey } from '@writeback/directory';
import { Reasons } from '@writeback/domain';
import { lookupReplyMessage, type MessageBus } from '@writeback/messaging';
import { currentTraceparent, inSpan, metrics, type Logger } from '@writeback/observability';
import { BUS, ConfigServiceUnavailable, LOGGER } from '@writeback/platform';
import { DomainDirectories } from './domain-directories';

/**
 * Answers a gate's `LookupDirectoryUser` (ADR 0023): a read-only search with the domain's
 * pooled directory and scope, answered on `Topics.lookups`. Writes nothing and records nothing;
 * the reply goes straight to the bus, since a lost one is only a timeout for the asker.
 */
@Injectable()
export class LookupUserHandler {
  constructor(
    private readonly directories: DomainDirectories,
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  handle(command: LookupCommandEnvelope): Promise<void> {
    const { domainId, by } = command.data;
    const attributes = {
      'writeback.domain.id': domainId,
      'writeback.lookup.by': 'userPrincipalName' in by ? 'userPrincipalName' : 'objectGuid',
    };
    return inSpan('writeback lookup', { attributes }, async (span) => {
      const result = await this.answer(command);
      span.setAttribute('writeback.lookup.result', result);
      metrics.scimLookups.inc({ domain: domainId, result });
    });
  }

  /** Answers the lookup, or drops it once expired; says which, for the span and the counter. */
  private async answer(command: LookupCommandEnvelope): Promise<string> {
    const { lookupId, domainId, by, expiresAt } = command.data;
    const log = this.logger.child({ domainId, lookupId });
    // The asker has stopped waiting: an answer now would only be read and thrown away.
    if (Date.parse(expiresAt) <= Date.now()) {
      log.debug({ expiresAt }, 'lookup expired before it was served; not answered');
      return 'expired';
    }
    const result = await this.lookUp(domainId, by, log);
    const reply = envelope(
      {
        type: 'DirectoryUserLookedUp',
        version: 1,
        data: { lookupId, domainId, result, answeredAt: new Date().toISOString() },
      },
      { correlationId: lookupId, causationId: command.eventId, traceparent: currentTraceparent() },
    );
    await this.bus.publish([lookupReplyMessage(reply)]);
    return result.outcome === 'absent' ? result.why : result.outcome;
  }

  /**
   * A directory failure is the answer (`failed`, with its reason), not a redelivery: the asker
   * maps it to its own status long before a retry could help. Only config-service being
   * unreachable is retried by the bus, within the lookup's short life.
   */
  private async lookUp(domainId: string, by: UserKey, log: Logger): Promise<LookupResult> {
    try {
      const { domain, directory } = await this.directories.current(domainId);
      return await inSpan('directory lookup', {}, () => directory.lookupUser(by, domain.scope));
    } catch (error) {
      if (error instanceof ConfigServiceUnavailable) throw error;
      if (error instanceof DirectoryError) {
        log.warn(
          { reasonCode: error.reason.code, ldapResultCode: error.resultCode, detail: error.detail },
          'directory lookup failed',
        );
        return { outcome: 'failed', reason: error.reason, retriable: error.retriable };
      }
      // No configuration, or a bind secret that cannot be read: as for a write (EXECUTOR.CONFIGURATION).
      log.error({ err: error }, 'executor cannot serve this domain');
      return { outcome: 'failed', reason: Reasons.EXECUTOR_CONFIGURATION, retriable: false };
    }
  }
}
