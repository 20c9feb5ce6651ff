import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  envelope,
  type Caller,
  type DomainConfigView,
  type EventEnvelope,
  type OperationView,
  type SealedCredential,
  type WritebackRequest,
} from '@writeback/contracts';
import {
  decide,
  decidePolicy,
  isTerminal,
  Reasons,
  replay,
  resolveTargetDomain,
  type OperationState,
  type Routing,
} from '@writeback/domain';
import {
  currentTraceparent,
  inSpan,
  metrics,
  secondsSince,
  withOperation,
  type Logger,
  type Span,
} from '@writeback/observability';
import { commandMessage, eventMessage, OutboxRelay, type OutgoingMessage } from '@writeback/messaging';
import { DOMAIN_CONFIG, DomainConfigClient, LOGGER } from '@writeback/platform';
import { seal, type Secret } from '@writeback/sealing';
import { GATE_OPTIONS, type GateOptions } from './gate-options';
import { OperationsRepository, type Appended } from './operations.repository';

/** The reason code of a policy refusal; undefined for an approval. */
const rejectionCode = (decision: EventEnvelope | undefined): string | undefined =>
  decision?.type === 'WritebackRejected' ? decision.data.reason.code : undefined;

/** Where a request goes on one read of the configuration: its routing and the target domain. */
interface Route {
  routing: Routing;
  domainId: string | null;
  domain: DomainConfigView | null;
}

function routeOn(request: WritebackRequest, domains: DomainConfigView[]): Route {
  const resolution = resolveTargetDomain(request.target.userPrincipalName, domains);
  const routing: Routing =
    resolution.kind === 'resolved' ? 'resolved' : resolution.kind === 'none' ? 'no-match' : 'ambiguous';
  const domainId = resolution.kind === 'resolved' ? resolution.domainId : null;
  return { routing, domainId, domain: domains.find((d) => d.id === domainId) ?? null };
}

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
    const { routing, domainId, domain } = await this.route(request);
    let sealed: { domainId: string; credential: SealedCredential } | undefined;
    if (domainId && domain && newPassword) {
      sealed = {
        domainId,
        credential: await seal(domain.publicKey, newPassword, {
          operationId,
          domainId,
          targetUpn: request.target.userPrincipalName,
        }),
      };
    }
    const requestedEvents = decide(
      { type: 'RequestWriteback', operationId, request, caller, routing, domainId, now: new Date().toISOString() },
      { status: 'initial' },
    ).map((e) => envelope(e, { correlationId: operationId, traceparent: currentTraceparent() }));
    const requested = requestedEvents[0] as EventEnvelope;
    // The policy decides at once, on the configuration the request was routed with: the request,
    // its decision and (approved) the executor's command are recorded together (ADR 0016).
    const decided = await inSpan('writeback decide', {}, (span) => {
      const decision = this.decision(replay(requestedEvents), requested, domain, sealed?.credential ?? null);
      this.describe(span, decision.events[0]);
      return Promise.resolve(decision);
    });
    const events = [...requestedEvents, ...decided.events];
    // Accepted means durable: the request and its decision are committed before the caller hears back.
    const appended = await this.operations.append(operationId, events, {
      ...(sealed ? { sealed } : {}),
      outbox: [...events.map(eventMessage), ...decided.commands],
      deadlineMs: this.options.deadlineMs,
      newStream: true,
    });
    this.outbox.kick();
    this.logger.info(
      { operationId, kind: request.kind, channel: request.channel, routing, domainId },
      'writeback requested',
    );
    this.decided(operationId, appended, decided.events[0], requested);
    // A fresh operation id: its first append always records the request and its projection.
    if (!appended?.view) throw new Error(`operation ${operationId} was not recorded`);
    return appended.view;
  }

  /**
   * Routes on the configuration as last read. A request that read would refuse is routed again
   * on a read begun after it arrived: a change an operator made before the request (a domain
   * added or enabled) is never refused on an older read (ADR 0019). Approvals cost no read.
   */
  private async route(request: WritebackRequest): Promise<Route> {
    const arrived = this.domains.mark();
    const route = routeOn(request, await this.domains.list());
    if (decidePolicy(request, route.routing, route.domain).approved) return route;
    return routeOn(request, await this.domains.readAfter(arrived));
  }

  /**
   * The policy's decision on an operation in `requested`, and what it sends: its event and, when
   * approved, the executor's command carrying the sealed password. No I/O.
   */
  private decision(
    state: OperationState,
    requested: EventEnvelope,
    domain: DomainConfigView | null,
    credential: SealedCredential | null,
  ): { events: EventEnvelope[]; commands: OutgoingMessage[] } {
    if (state.status === 'initial') return { events: [], commands: [] };
    const { operationId, domainId } = state;
    const context = { correlationId: operationId, causationId: requested.eventId, traceparent: currentTraceparent() };
    const events = decide({ type: 'DecideWriteback', domain, now: new Date().toISOString() }, state).map((e) =>
      envelope(e, context),
    );
    const approved = events.some((e) => e.type === 'WritebackApproved');
    if (!approved || !domainId) return { events, commands: [] };
    return {
      events,
      commands: [
        commandMessage(
          envelope(
            {
              type: 'ApplyPasswordWriteback',
              version: 1,
              data: {
                operationId,
                domainId,
                request: state.request,
                credential,
                ...(domain ? { domainConfigVersion: domain.version } : {}),
              },
            },
            context,
          ),
        ),
      ],
    };
  }

  private describe(span: Span, decision: EventEnvelope | undefined): void {
    const reasonCode = rejectionCode(decision);
    span.setAttributes({
      'writeback.decision': decision?.type ?? 'none',
      ...(reasonCode ? { 'writeback.reason': reasonCode } : {}),
    });
  }

  /** Counts and logs a decision once it is recorded (a redelivery that recorded nothing is not). */
  private decided(
    operationId: string,
    appended: Appended | null,
    decision: EventEnvelope | undefined,
    requested: EventEnvelope,
  ): void {
    if (appended && appended.state.status !== 'initial')
      metrics.stageDuration.observe(
        { stage: 'policy', domain: appended.state.domainId ?? 'none' },
        secondsSince(requested.occurredAt),
      );
    this.observeEnd(appended, decision);
    this.logger.info(
      { operationId, decision: decision?.type, reasonCode: rejectionCode(decision) },
      'writeback decided',
    );
  }

  /**
   * Consumer of PasswordChangeRequested. A request is decided where it is accepted, so this
   * decides only what no gate decided yet: a request recorded by a gate version that left
   * deciding to this consumer (a rolling upgrade). Its own requests are skipped without a read.
   */
  decidePending(requested: EventEnvelope): Promise<void> {
    if (this.operations.appendedHere(requested.eventId)) return Promise.resolve();
    return inSpan('writeback decide', {}, (span) => this.decidePendingInSpan(requested, span));
  }

  private async decidePendingInSpan(requested: EventEnvelope, span: Span): Promise<void> {
    const operationId = requested.correlationId;
    const { state, stream, sealed } = await this.operations.load(operationId);
    if (state.status !== 'requested') return;
    const domain = state.domainId ? await this.domains.get(state.domainId) : null;
    const { events, commands } = this.decision(state, requested, domain, sealed);
    this.describe(span, events[0]);
    // Written only onto the stream it was decided on; a deadline that ended it first drops it.
    const appended = await this.operations.appendDecision(operationId, stream, events, [
      ...events.map(eventMessage),
      ...commands,
    ]);
    this.outbox.kick();
    this.decided(operationId, appended, events[0], requested);
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
