import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Caller, DomainConfigView, OperationView, WritebackRequest } from '@writeback/contracts';
import { decideGate, decidePolicy, replay, resolveTargetDomain, type Routing } from '@writeback/domain';
import { currentTraceparent, inSpan, withOperation, type Logger } from '@writeback/observability';
import { DOMAIN_CONFIG, DomainConfigClient, LOGGER } from '@writeback/platform';
import { seal, type Secret } from '@writeback/sealing';
import { GATE_OPTIONS, type GateOptions } from '../gate-options';
import { newStream, type StreamChange } from '../store/operation-store';
import { CommandHandling, envelopeDecision } from './command-handling';
import { observeDecision, observeEnd, rejectionCode } from './operation-metrics';

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

/**
 * `POST /v1/operations`: routes the target, seals the password for that domain's executors, and
 * records the request with its decision and (approved) the executor's command in one statement
 * (ADR 0016), before the caller hears back.
 */
@Injectable()
export class AcceptWritebackHandler {
  constructor(
    private readonly commands: CommandHandling,
    @Inject(DOMAIN_CONFIG) private readonly domains: DomainConfigClient,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(GATE_OPTIONS) private readonly options: GateOptions,
  ) {}

  /** Returns the operation as it was committed. */
  handle(request: WritebackRequest, caller: Caller, newPassword: Secret | undefined): Promise<OperationView> {
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
    const sealed =
      domainId && domain && newPassword
        ? {
            domainId,
            credential: await seal(domain.publicKey, newPassword, {
              operationId,
              domainId,
              targetUpn: request.target.userPrincipalName,
            }),
          }
        : undefined;
    const acceptTrace = currentTraceparent();
    // A fresh operation id: its stream is known to be empty, so the append reads nothing first.
    const appended = await this.commands.handle(
      operationId,
      (stream) =>
        inSpan('writeback decide', {}, (span): Promise<StreamChange> => {
          const decision = decideGate(
            {
              type: 'AcceptWriteback',
              operationId,
              request,
              caller,
              routing,
              domainId,
              domain,
              credential: sealed?.credential ?? null,
              now: new Date().toISOString(),
            },
            replay(stream.events),
          );
          const change = envelopeDecision(decision, operationId, null, acceptTrace);
          const verdict = change.events[1];
          const reasonCode = rejectionCode(verdict);
          span.setAttributes({
            'writeback.decision': verdict?.type ?? 'none',
            ...(reasonCode ? { 'writeback.reason': reasonCode } : {}),
          });
          return Promise.resolve({ ...change, ...(sealed ? { sealed } : {}), deadlineMs: this.options.deadlineMs });
        }),
      newStream(operationId),
    );
    // The request is its first event: it always records the request and its projection.
    const [requested, verdict] = appended?.events ?? [];
    if (!appended?.view || !requested) throw new Error(`operation ${operationId} was not recorded`);
    this.logger.info(
      { operationId, kind: request.kind, channel: request.channel, routing, domainId },
      'writeback requested',
    );
    observeDecision(appended, requested);
    observeEnd(appended);
    this.logger.info({ operationId, decision: verdict?.type, reasonCode: rejectionCode(verdict) }, 'writeback decided');
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
}
