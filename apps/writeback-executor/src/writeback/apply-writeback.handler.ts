import { Inject, Injectable } from '@nestjs/common';
import { envelope, WritebackError, type ApplyCommandEnvelope } from '@writeback/contracts';
import { DirectoryError, type LdapDirectory, type WritebackScope } from '@writeback/directory';
import {
  decidePasswordWrite,
  decideWriteback,
  nothingKnown,
  writebackOutcome,
  writeUnconfirmed,
  type PasswordWrite,
  type Preparation,
  type WriteAttempt,
  type WritebackKnown,
  type WritebackStep,
} from '@writeback/domain';
import { waitKeepingSession } from '@writeback/messaging';
import { currentTraceparent, inSpan, metrics, secondsSince, type Logger } from '@writeback/observability';
import { ConfigServiceUnavailable, LOGGER } from '@writeback/platform';
import { openWith, SealingError, type Secret } from '@writeback/sealing';
import { DomainDirectories } from './domain-directories';
import { DomainKeys } from './domain-keys';
import { DOMAIN_KEYS, EXECUTOR_OPTIONS, type ExecutorOptions } from './executor-options';
import { OutcomesRepository } from './outcomes.repository';

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

/** What `prepare` made ready for the directory writes. */
interface Ready {
  directory: LdapDirectory;
  scope: WritebackScope;
  newPassword?: Secret;
}

/**
 * The executor's command handler: learns what `decideWriteback` asks for, one fact at a time,
 * and carries out its steps through the adapters (config-service, the domain keys, the
 * directory, the outcome store and the claim). The only place a sealed password is opened, and
 * the only code that writes to AD.
 */
@Injectable()
export class ApplyWritebackHandler {
  constructor(
    private readonly outcomes: OutcomesRepository,
    private readonly directories: DomainDirectories,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(DOMAIN_KEYS) private readonly keys: DomainKeys,
    @Inject(EXECUTOR_OPTIONS) private readonly options: ExecutorOptions,
  ) {}

  /** Runs on behalf of the command's operation (the bus set it), so every log line names it. */
  handle(command: ApplyCommandEnvelope, session: CommandSession = {}): Promise<void> {
    return inSpan('writeback apply', { attributes: { 'writeback.domain.id': command.data.domainId } }, () =>
      this.handleInSpan(command, session),
    );
  }

  private async handleInSpan(command: ApplyCommandEnvelope, session: CommandSession): Promise<void> {
    const started = performance.now();
    const { operationId, domainId } = command.data;
    const log = this.logger.child({ domainId });
    const known: WritebackKnown = { ...nothingKnown(), recorded: await this.outcomes.find(operationId) };
    const timing = { ldapMs: 0 };
    let stopDirectoryTimer: (() => unknown) | undefined;
    let ready: Ready | undefined;
    for (;;) {
      const step = decideWriteback(command, known, this.options);
      switch (step.next) {
        case 'report-again':
          log.info(
            { outcome: step.outcome.type },
            'command seen before; its outcome is published again, AD is not written',
          );
          await this.outcomes.republish(step.outcome);
          return;
        case 'prepare': {
          metrics.stageDuration.observe({ stage: 'dispatch', domain: domainId }, secondsSince(command.occurredAt));
          stopDirectoryTimer = metrics.stageDuration.startTimer({ stage: 'directory', domain: domainId });
          const prepared = await this.prepare(command, log);
          known.preparation = prepared.preparation;
          ready = prepared.ready;
          break;
        }
        case 'claim':
          known.claim = await this.outcomes.claim(operationId);
          if (known.claim === 'expired') {
            log.warn('deadline passed before this executor claimed the operation; nothing is written');
          }
          break;
        case 'write':
          if (!ready) throw new Error(`operation ${operationId}: a write was decided before the domain was ready`);
          if (step.retryReason) {
            metrics.directoryRetries.inc({ domain: domainId, reason: step.retryReason.code });
            // Retrying keeps the command: without heartbeats a rebalance would hand it to another
            // replica mid-retry, and two executors would work the same claimed operation.
            await waitKeepingSession(step.delayMs, session);
          }
          known.attempts = [...known.attempts, await this.write(command, ready, step.attempt, known, log, timing)];
          break;
        case 'drop-unknown':
          throw new UnknownOperation(operationId);
        case 'applied':
        case 'refuse':
        case 'give-up':
          stopDirectoryTimer?.();
          await this.finish(command, step, log, started, timing);
          return;
        default: {
          const unreachable: never = step;
          throw new Error(`unknown step ${JSON.stringify(unreachable)}`);
        }
      }
    }
  }

  /** Reads the domain's configuration, its directory and the sealed password's key. */
  private async prepare(
    command: ApplyCommandEnvelope,
    log: Logger,
  ): Promise<{ preparation: Preparation; ready?: Ready }> {
    const { operationId, domainId, request, credential, domainConfigVersion } = command.data;
    try {
      // A domain added, or changed, since the last read is read again before anything fails on it.
      const { domain, directory } = await this.directories.current(domainId, domainConfigVersion);
      if (!credential) {
        return { preparation: { outcome: 'ready', credential: 'absent' }, ready: { directory, scope: domain.scope } };
      }
      const newPassword = await openWith(await this.keys.privateKey(domainId, credential.keyId), credential, {
        operationId,
        domainId,
        targetUpn: request.target.userPrincipalName,
      });
      return {
        preparation: { outcome: 'ready', credential: 'opened' },
        ready: { directory, scope: domain.scope, newPassword },
      };
    } catch (error) {
      if (error instanceof SealingError) return { preparation: { outcome: 'credential-unreadable' } };
      // config-service briefly unreachable: let the bus deliver the command again later.
      if (error instanceof ConfigServiceUnavailable) throw error;
      log.error({ err: error }, 'executor cannot serve this domain');
      return { preparation: { outcome: 'executor-unconfigured' } };
    }
  }

  /** One directory write; its failure is classified by the directory adapter, not here. */
  private async write(
    command: ApplyCommandEnvelope,
    ready: Ready,
    attempt: number,
    known: WritebackKnown,
    log: Logger,
    timing: { ldapMs: number },
  ): Promise<WriteAttempt> {
    const { operationId, request } = command.data;
    let passwordWrite: PasswordWrite | null = null;
    const ldapStarted = performance.now();
    try {
      const result = await inSpan('directory write', { attributes: { 'writeback.attempt': attempt } }, () =>
        ready.directory.applyWriteback({
          userPrincipalName: request.target.userPrincipalName,
          ...(ready.newPassword ? { newPassword: ready.newPassword.reveal() } : {}),
          unlock: request.kind === 'unlock' || request.options.unlockAccount,
          forceChangeAtNextLogon: request.options.forceChangeAtNextLogon,
          scope: ready.scope,
          ...(request.target.objectGuid ? { objectGuid: request.target.objectGuid } : {}),
          beforePasswordWrite: async (user) => {
            const kept = await this.outcomes.keepPasswordVersion(operationId, user.dn, user.passwordVersion);
            passwordWrite = decidePasswordWrite({ dn: user.dn, version: user.passwordVersion }, kept);
            if (passwordWrite === 'skip') log.info('the password was written by an earlier try; not written again');
            return passwordWrite;
          },
        }),
      );
      const { domainController, actions, policyHintsUsed } = result;
      return { result: 'applied', applied: { domainController, actions, policyHintsUsed } };
    } catch (error) {
      const failure = error instanceof DirectoryError ? error : undefined;
      const failed: WriteAttempt = {
        result: 'failed',
        passwordWrite,
        error: failure
          ? { retriable: failure.retriable, reason: failure.reason, answered: failure.resultCode !== undefined }
          : null,
      };
      log.warn(
        {
          attempt,
          unconfirmed: writeUnconfirmed([...known.attempts, failed]),
          reasonCode: failure?.reason.code,
          ldapResultCode: failure?.resultCode,
          detail: failure?.detail ?? String(error),
        },
        'directory write failed',
      );
      return failed;
    } finally {
      timing.ldapMs += performance.now() - ldapStarted;
    }
  }

  /** Records the outcome with its event (outbox), so an applied password is always announced. */
  private async finish(
    command: ApplyCommandEnvelope,
    step: Extract<WritebackStep, { next: 'applied' | 'refuse' | 'give-up' }>,
    log: Logger,
    started: number,
    timing: { ldapMs: number },
  ): Promise<void> {
    const { operationId, domainId } = command.data;
    const event = writebackOutcome(command, step, new Date().toISOString());
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
}
