import type { Caller, ExecutorCommand, SealedCredential, WritebackEvent, WritebackRequest } from '@writeback/contracts';
import { decide, evolve, type OperationState } from './operation';
import type { DomainPolicySnapshot, Routing } from './policy';

/**
 * The policy gate's decider: what the gate records, and sends to the executor, for each of its
 * commands. The operation's own decider (`operation.ts`) says which events happen; this one adds
 * what the gate sends with them: when a request is approved, the executor's
 * ApplyPasswordWriteback carrying the sealed password and the configuration version it was
 * decided on. Time comes in as command data; the command handlers (apps/policy-gate,
 * `handlers/*.handler.ts`) give the messages their ids and envelopes.
 */

/** The domain's configuration a decision is taken on: the policy's part and its version. */
export type DecidingDomain = DomainPolicySnapshot & { version: number };

export type GateCommand =
  /**
   * A request at the edge, decided at once on the configuration it was routed and sealed with
   * (ADR 0016): the request, its decision and (approved) the executor's command go together.
   */
  | {
      type: 'AcceptWriteback';
      operationId: string;
      request: WritebackRequest;
      caller: Caller;
      routing: Routing;
      domainId: string | null;
      domain: DecidingDomain | null;
      credential: SealedCredential | null;
      now: string;
    }
  /** A request recorded undecided (by a gate of an earlier version, during a rolling upgrade). */
  | { type: 'DecidePendingWriteback'; domain: DecidingDomain | null; credential: SealedCredential | null; now: string }
  /** The deadline passed before any executor claimed the operation (ADR 0011). */
  | { type: 'ExpireWriteback'; now: string };

export type ApplyPasswordWriteback = Extract<ExecutorCommand, { type: 'ApplyPasswordWriteback' }>;

export interface GateDecision {
  /** The events to record, in order; none when there is nothing new to say. */
  events: WritebackEvent[];
  /** The executor's command, when the request was approved. */
  command: ApplyPasswordWriteback | null;
}

const nothing = (): GateDecision => ({ events: [], command: null });

export function decideGate(command: GateCommand, state: OperationState): GateDecision {
  switch (command.type) {
    case 'AcceptWriteback': {
      const { operationId, request, caller, routing, domainId, now } = command;
      const requested = decide(
        { type: 'RequestWriteback', operationId, request, caller, routing, domainId, now },
        state,
      );
      const decision = policyDecision(requested.reduce(evolve, state), command.domain, command.credential, now);
      return { events: [...requested, ...decision.events], command: decision.command };
    }
    case 'DecidePendingWriteback':
      return policyDecision(state, command.domain, command.credential, command.now);
    case 'ExpireWriteback':
      return { events: decide({ type: 'ExpireWriteback', now: command.now }, state), command: null };
    default: {
      const unreachable: never = command;
      throw new Error(`unknown gate command ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * The policy's verdict on an operation still `requested` (nothing otherwise: another gate
 * decided it, or its deadline ended it) and, approved, the executor's command.
 */
function policyDecision(
  state: OperationState,
  domain: DecidingDomain | null,
  credential: SealedCredential | null,
  now: string,
): GateDecision {
  if (state.status === 'initial') return nothing();
  const events = decide({ type: 'DecideWriteback', domain, now }, state);
  const { operationId, domainId } = state;
  if (!domainId || !events.some((e) => e.type === 'WritebackApproved')) return { events, command: null };
  return {
    events,
    command: {
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
  };
}
