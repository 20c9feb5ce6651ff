import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  envelope,
  type CommandEnvelope,
  type DomainConfigView,
  type Reason,
  type WritebackEvent,
  WritebackError,
} from '@writeback/contracts';
import { DirectoryError, LdapDirectory, type WritebackScope } from '@writeback/directory';
import { backoffDelay, Reasons } from '@writeback/domain';
import { waitKeepingSession } from '@writeback/messaging';
import { currentTraceparent, inSpan, metrics, secondsSince, type Logger } from '@writeback/observability';
import {
  ConfigServiceUnavailable,
  ConfigurationError,
  DOMAIN_CONFIG,
  DomainConfigClient,
  LOGGER,
  resolveSecretRef,
  type ReadinessCheck,
  type ReadinessChecks,
} from '@writeback/platform';
import { open, SealingError, type Secret } from '@writeback/sealing';
import { DomainKeys } from './domain-keys';
import { OutcomesRepository } from './outcomes.repository';

/** Tries for a write whose outcome is unknown, as a multiple of `maxAttempts`. */
const UNCONFIRMED_ATTEMPTS_FACTOR = 3;
const MAX_RETRY_DELAY_MS = 10_000;
export const DOMAIN_KEYS = Symbol('DomainKeys');
export const EXECUTOR_OPTIONS = Symbol('ExecutorOptions');

export interface ExecutorOptions {
  /** Attempts for retriable failures (DC down, missing right) before WritebackFailed. */
  maxAttempts: number;
  retryBaseDelayMs: number;
  /** LDAPS connections per domain. */
  ldapPoolSize: number;
  /** The domains this executor serves; empty for every domain whose key it holds. */
  domains: string[];
}

/**
 * A command for an operation the gate never accepted (it has no deadline row): forged, replayed
 * from elsewhere or meant for another installation. Nothing is written and no outcome is
 * announced for an operation nobody asked for; redelivery cannot help, so it is dead-lettered.
 */
export class UnknownOperation extends WritebackError {
  readonly code = 'EXECUTOR.UNKNOWN_OPERATION';
  readonly retriable = false;

  constructor(operationId: string) {
    super(`operation ${operationId} has no deadline record: the gate never accepted it; nothing is written`);
  }
}

/** The transport's hold on the command being applied (see IncomingMessage.heartbeat). */
export interface CommandSession {
  heartbeat?: (() => Promise<void>) | undefined;
}

type Outcome =
  | {
      kind: 'applied';
      domainController: string;
      actions: Array<'password' | 'unlock' | 'force-change-at-next-logon'>;
      policyHintsUsed: boolean;
    }
  | { kind: 'rejected'; reason: Reason }
  | { kind: 'failed'; reason: Reason; attempts: number };

/** The only place a sealed password is opened, and the only code that writes to AD. */
@Injectable()
export class WritebackService implements OnApplicationShutdown, ReadinessChecks {
  private readonly directories = new Map<string, { key: string; directory: LdapDirectory }>();

  constructor(
    private readonly outcomes: OutcomesRepository,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(DOMAIN_CONFIG) private readonly domains: DomainConfigClient,
    @Inject(DOMAIN_KEYS) private readonly keys: DomainKeys,
    @Inject(EXECUTOR_OPTIONS) private readonly options: ExecutorOptions,
  ) {}

  /** Runs on behalf of the command's operation (the bus set it), so every log line names it. */
  apply(command: CommandEnvelope, session: CommandSession = {}): Promise<void> {
    return inSpan('writeback apply', { attributes: { 'writeback.domain.id': command.data.domainId } }, () =>
      this.applyInSpan(command, session),
    );
  }

  private async applyInSpan(command: CommandEnvelope, session: CommandSession): Promise<void> {
    const started = performance.now();
    const { operationId, domainId, request } = command.data;
    const log = this.logger.child({ domainId });
    const earlier = await this.outcomes.find(operationId);
    if (earlier) {
      log.info({ outcome: earlier.type }, 'command seen before; its outcome is published again, AD is not written');
      await this.outcomes.republish(earlier);
      return;
    }
    metrics.stageDuration.observe({ stage: 'dispatch', domain: domainId }, secondsSince(command.occurredAt));
    const stopDirectoryTimer = metrics.stageDuration.startTimer({ stage: 'directory', domain: domainId });
    const timing = { ldapMs: 0 };
    const outcome = await this.execute(command, log, timing, session);
    stopDirectoryTimer();
    const targetUpn = request.target.userPrincipalName;
    const now = new Date().toISOString();
    const event: WritebackEvent =
      outcome.kind === 'applied'
        ? {
            type: 'WritebackApplied',
            version: 1,
            data: {
              operationId,
              domainId,
              targetUpn,
              domainController: outcome.domainController,
              actions: outcome.actions,
              policyHintsUsed: outcome.policyHintsUsed,
              appliedAt: now,
            },
          }
        : outcome.kind === 'rejected'
          ? {
              type: 'WritebackRejected',
              version: 1,
              data: {
                operationId,
                domainId,
                targetUpn,
                stage: 'executor',
                reason: outcome.reason,
                policyRule: null,
                rejectedAt: now,
              },
            }
          : {
              type: 'WritebackFailed',
              version: 1,
              data: {
                operationId,
                domainId,
                targetUpn,
                reason: outcome.reason,
                attempts: outcome.attempts,
                failedAt: now,
              },
            };
    // The durations let a benchmark split an operation's time into executor and directory.
    log.info(
      {
        outcome: event.type,
        reasonCode: 'reason' in event.data ? event.data.reason.code : undefined,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ldapMs: Math.round(timing.ldapMs * 10) / 10,
      },
      'writeback finished',
    );
    await this.outcomes.record(
      operationId,
      domainId,
      envelope(event, { correlationId: operationId, causationId: command.eventId, traceparent: currentTraceparent() }),
    );
  }

  /** One pooled directory per domain, rebuilt when its configuration or bind secret changes. */
  private directoryFor(domain: DomainConfigView, bindPassword: string): LdapDirectory {
    const key = createHash('sha256')
      .update(JSON.stringify([domain.version, domain.updatedAt, bindPassword]))
      .digest('hex');
    const cached = this.directories.get(domain.id);
    if (cached?.key === key) return cached.directory;
    void cached?.directory.close();
    const directory = new LdapDirectory({
      domainId: domain.id,
      urls: domain.ldapUrls,
      baseDn: domain.baseDn,
      bindDn: domain.bindDn,
      bindPassword,
      tlsCaPem: domain.tlsCaPem,
      tlsServerName: domain.tlsServerName,
      maxConnections: this.options.ldapPoolSize,
    });
    this.directories.set(domain.id, { key, directory });
    return directory;
  }

  /**
   * Readiness: at least one DC of each served domain answers, bound as the service account
   * (through the pool the writes use). Without configuration there is nothing to check against.
   */
  async readinessChecks(): Promise<ReadinessCheck[]> {
    let domains: DomainConfigView[];
    try {
      domains = await this.domains.list();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return [{ name: 'config-service', check: () => Promise.reject(failure) }];
    }
    const served: DomainConfigView[] = [];
    for (const domain of domains) {
      const mine = this.options.domains.length
        ? this.options.domains.includes(domain.id)
        : await this.keys.has(domain.id);
      if (mine) served.push(domain);
    }
    return served.map((domain) => ({
      name: `directory:${domain.id}`,
      check: async () => this.directoryFor(domain, await resolveSecretRef(domain.bindSecretRef)).check(),
    }));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.directories.values()].map(({ directory }) => directory.close()));
    this.directories.clear();
  }

  private async execute(
    command: CommandEnvelope,
    log: Logger,
    timing: { ldapMs: number },
    session: CommandSession,
  ): Promise<Outcome> {
    const { operationId, domainId, request, credential, domainConfigVersion } = command.data;
    let directory: LdapDirectory;
    let scope: WritebackScope;
    let newPassword: Secret | undefined;
    try {
      // A domain added, or changed, since the last read is read again before anything fails on it.
      const domain = await this.domains.current(domainId, domainConfigVersion);
      if (!domain) throw new ConfigurationError(`domain ${domainId} is not configured`);
      scope = domain.scope;
      directory = this.directoryFor(domain, await resolveSecretRef(domain.bindSecretRef));
      // Only an unlock may come without a password; anything else would be "applied" unwritten.
      if (!credential && request.kind !== 'unlock') {
        throw new SealingError('the command carries no sealed password');
      }
      if (credential) {
        newPassword = await open(await this.keys.privateKey(domainId, credential.keyId), credential, {
          operationId,
          domainId,
          targetUpn: request.target.userPrincipalName,
        });
      }
    } catch (error) {
      if (error instanceof SealingError) return { kind: 'rejected', reason: Reasons.CREDENTIAL_UNREADABLE };
      // config-service briefly unreachable: let the bus deliver the command again later.
      if (error instanceof ConfigServiceUnavailable) throw error;
      log.error({ err: error }, 'executor cannot serve this domain');
      return { kind: 'failed', reason: Reasons.EXECUTOR_CONFIGURATION, attempts: 0 };
    }
    // Past this point the directory is written: the claim makes sure the gate has not told the
    // requester the operation failed, and never will by its deadline (ADR 0011).
    const claim = await this.outcomes.claim(operationId);
    if (claim === 'unknown') throw new UnknownOperation(operationId);
    if (claim === 'expired') {
      log.warn('deadline passed before this executor claimed the operation; nothing is written');
      return { kind: 'failed', reason: Reasons.DEADLINE_EXCEEDED, attempts: 0 };
    }
    // True while a password write may have reached the DC without its answer reaching us: then
    // "failed" would be a guess, so tries go on until the DC can tell (up to a larger bound).
    let unconfirmed = false;
    for (let attempt = 1; ; attempt++) {
      const ldapStarted = performance.now();
      try {
        const result = await inSpan('directory write', { attributes: { 'writeback.attempt': attempt } }, () =>
          directory.applyWriteback({
            userPrincipalName: request.target.userPrincipalName,
            ...(newPassword ? { newPassword: newPassword.reveal() } : {}),
            unlock: request.kind === 'unlock' || request.options.unlockAccount,
            forceChangeAtNextLogon: request.options.forceChangeAtNextLogon,
            scope,
            beforePasswordWrite: async (user) => {
              const decision = await this.outcomes.passwordWrite(operationId, user.dn, user.passwordVersion);
              if (decision === 'skip') log.info('the password was written by an earlier try; not written again');
              unconfirmed = decision === 'write';
              return decision;
            },
          }),
        );
        timing.ldapMs += performance.now() - ldapStarted;
        return { kind: 'applied', ...result };
      } catch (error) {
        timing.ldapMs += performance.now() - ldapStarted;
        const failure = error instanceof DirectoryError ? error : undefined;
        // A DC that answered (any LDAP result code) did not take the write.
        if (failure?.resultCode !== undefined) unconfirmed = false;
        log.warn(
          {
            attempt,
            unconfirmed,
            reasonCode: failure?.reason.code,
            ldapResultCode: failure?.resultCode,
            detail: failure?.detail ?? String(error),
          },
          'directory write failed',
        );
        if (failure && !failure.retriable) return { kind: 'rejected', reason: failure.reason };
        const reason = unconfirmed ? Reasons.WRITE_UNCONFIRMED : (failure?.reason ?? Reasons.DIRECTORY_ERROR);
        if (attempt >= this.options.maxAttempts * (unconfirmed ? UNCONFIRMED_ATTEMPTS_FACTOR : 1)) {
          return { kind: 'failed', reason, attempts: attempt };
        }
        metrics.directoryRetries.inc({ domain: domainId, reason: reason.code });
        const delay = backoffDelay(attempt - 1, {
          initialDelayMs: this.options.retryBaseDelayMs,
          maxDelayMs: MAX_RETRY_DELAY_MS,
        });
        // Retrying keeps the command: without heartbeats a rebalance would hand it to another
        // replica mid-retry, and two executors would work the same claimed operation.
        await waitKeepingSession(delay, session);
      }
    }
  }
}
