import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  envelope,
  type Caller,
  type EventEnvelope,
  type OperationView,
  type SealedCredential,
  type WritebackRequest,
} from '@writeback/contracts';
import { decide, isTerminal, Reasons, resolveTargetDomain, type Routing } from '@writeback/domain';
import {
  currentTraceparent,
  inSpan,
  metrics,
  secondsSince,
  withOperation,
  type Logger,
  type Span,
} from '@writeback/observability';
import { commandMessage, DomainConfigClient, eventMessage, LOGGER, OutboxRelay } from '@writeback/platform';
import { seal, type Secret } from '@writeback/sealing';
import { GATE_OPTIONS, type GateOptions } from './gate-options';
import { OperationsRepository, type Appended } from './operations.repository';

export const DOMAIN_CONFIG = Symbol('DomainConfigClient');

/** The gate's application handlers: load, decide, append, publish. No HTTP or Kafka here. */
@Injectable()
export class OperationsService {
  constructor(
    private readonly operations: OperationsRepository,
    private readonly outbox: OutboxRelay,
    @Inject(DOMAIN_CONFIG) private readonly domains: DomainConfigClient,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(GATE_OPTIONS) private readonly options: GateOptions,
  ) {}

  /**
   * The edge: routes the target, seals the password for that domain's executors, records the
   * request. Returns the operation as it was committed.
   */
  request(request: WritebackRequest, caller: Caller, newPassword: Secret | undefined): Promise<OperationView> {
    const operationId = randomUUID();
    return withOperation(operationId, () =>
      inSpan('writeback accept', { attributes: { 'writeback.kind': request.kind } }, () =>
        this.accept(operationId, request, caller, newPassword),
      ),
    );
  }

  private async accept(
    operationId: string,
    request: WritebackRequest,
    caller: Caller,
    newPassword: Secret | undefined,
  ): Promise<OperationView> {
    const resolution = resolveTargetDomain(request.target.userPrincipalName, await this.domains.list());
    const routing: Routing =
      resolution.kind === 'resolved' ? 'resolved' : resolution.kind === 'none' ? 'no-match' : 'ambiguous';
    const domainId = resolution.kind === 'resolved' ? resolution.domainId : null;
    let sealed: { domainId: string; credential: SealedCredential } | undefined;
    if (domainId && newPassword) {
      const domain = await this.domains.get(domainId);
      if (domain) {
        sealed = {
          domainId,
          credential: await seal(domain.publicKey, newPassword, {
            operationId,
            domainId,
            targetUpn: request.target.userPrincipalName,
          }),
        };
      }
    }
    const events = decide(
      { type: 'RequestWriteback', operationId, request, caller, routing, domainId, now: new Date().toISOString() },
      { status: 'initial' },
    ).map((e) => envelope(e, { correlationId: operationId, traceparent: currentTraceparent() }));
    // Accepted means durable: the request and its event are committed before the caller hears back.
    const appended = await this.operations.append(operationId, events, {
      ...(sealed ? { sealed } : {}),
      outbox: events.map(eventMessage),
      deadlineMs: this.options.deadlineMs,
      newStream: true,
    });
    this.outbox.kick();
    this.logger.info(
      { operationId, kind: request.kind, channel: request.channel, routing, domainId },
      'writeback requested',
    );
    // A fresh operation id: its first append always records the request and its projection.
    if (!appended?.view) throw new Error(`operation ${operationId} was not recorded`);
    return appended.view;
  }

  /** Consumer of PasswordChangeRequested: applies the policy and hands approved work to the executor. */
  decide(requested: EventEnvelope): Promise<void> {
    return inSpan('writeback decide', {}, (span) => this.decideInSpan(requested, span));
  }

  private async decideInSpan(requested: EventEnvelope, span: Span): Promise<void> {
    const operationId = requested.correlationId;
    const { state, stream, sealed } = await this.operations.load(operationId);
    if (state.status !== 'requested') return;
    const domain = state.domainId ? await this.domains.get(state.domainId) : null;
    const now = new Date().toISOString();
    const context = { correlationId: operationId, causationId: requested.eventId, traceparent: currentTraceparent() };
    const events = decide({ type: 'DecideWriteback', domain, now }, state).map((e) => envelope(e, context));
    const approved = events.some((e) => e.type === 'WritebackApproved');
    const credential = approved ? sealed : null;
    const messages = events.map(eventMessage);
    if (approved && state.domainId) {
      messages.push(
        commandMessage(
          envelope(
            {
              type: 'ApplyPasswordWriteback',
              version: 1,
              data: { operationId, domainId: state.domainId, request: state.request, credential },
            },
            context,
          ),
        ),
      );
    }
    // Written only onto the stream it was decided on; a deadline that ended it first drops it.
    const appended = await this.operations.appendDecision(operationId, stream, events, messages);
    this.outbox.kick();
    const decision = events[0];
    const reasonCode = decision?.type === 'WritebackRejected' ? decision.data.reason.code : undefined;
    span.setAttributes({
      'writeback.decision': decision?.type ?? 'none',
      ...(reasonCode ? { 'writeback.reason': reasonCode } : {}),
    });
    if (appended)
      metrics.stageDuration.observe(
        { stage: 'policy', domain: state.domainId ?? 'none' },
        secondsSince(requested.occurredAt),
      );
    this.observeEnd(appended, decision);
    this.logger.info({ operationId, decision: decision?.type, reasonCode }, 'writeback decided');
  }

  /**
   * Ends an operation whose deadline passed before any executor claimed it. False when an
   * executor claimed it first: then the executor's outcome ends it.
   */
  async expire(operationId: string): Promise<boolean> {
    const now = new Date().toISOString();
    const expired = await this.operations.expire(
      operationId,
      (state) =>
        decide({ type: 'ExpireWriteback', now }, state).map((e) =>
          envelope(e, { correlationId: operationId, traceparent: currentTraceparent() }),
        ),
      (events) => events.map(eventMessage),
    );
    if (expired) {
      this.outbox.kick();
      this.logger.warn({ operationId, reasonCode: Reasons.DEADLINE_EXCEEDED.code }, 'writeback deadline passed');
    }
    return expired;
  }

  /**
   * Consumer of every other lifecycle event: keeps the operation's projection current. Its own
   * decisions come back too, already recorded; a redelivered event appends nothing.
   */
  async record(event: EventEnvelope): Promise<void> {
    if (this.operations.appendedHere(event.eventId)) return;
    this.observeEnd(await this.operations.append(event.correlationId, [event]), event);
  }

  /**
   * Counts an operation once, when the gate first records its end (its own rejection or the
   * executor's outcome); a redelivered event appends nothing and counts nothing.
   */
  private observeEnd(appended: Appended | null, last: EventEnvelope | undefined): void {
    if (!appended || !last || appended.state.status === 'initial' || !isTerminal(appended.state.status)) return;
    const { state } = appended;
    const labels = { kind: state.request.kind, domain: state.domainId ?? 'none', outcome: state.status };
    metrics.operations.inc({ ...labels, reason: state.reason?.code ?? '' });
    metrics.operationDuration.observe(
      labels,
      Math.max(0, (Date.parse(last.occurredAt) - Date.parse(appended.requestedAt)) / 1000),
    );
  }
}
