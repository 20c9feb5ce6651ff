import type { Caller, OperationStatus, Reason, WritebackEvent, WritebackRequest } from '@writeback/contracts';
import { decidePolicy, POLICY_VERSION, type DomainPolicySnapshot, type Routing } from './policy';
import { Reasons } from './reasons';

export type OperationState =
  | { status: 'initial' }
  | {
      status: OperationStatus;
      operationId: string;
      request: WritebackRequest;
      caller: Caller;
      routing: Routing;
      domainId: string | null;
      reason: Reason | null;
    };

export const initialState = (): OperationState => ({ status: 'initial' });

export const isTerminal = (status: OperationState['status']): boolean =>
  status === 'applied' || status === 'rejected' || status === 'failed';

/** Commands carry time and ids so that `decide` is deterministic. */
export type OperationCommand =
  | {
      type: 'RequestWriteback';
      operationId: string;
      request: WritebackRequest;
      /** The authenticated client that sent the request, as opposed to the initiator it names. */
      caller: Caller;
      routing: Routing;
      domainId: string | null;
      now: string;
    }
  | { type: 'DecideWriteback'; domain: DomainPolicySnapshot | null; now: string }
  /**
   * The operation's deadline passed before any executor claimed it (ADR 0011). Only issued
   * after the claim was refused for good, so no executor can write it any more.
   */
  | { type: 'ExpireWriteback'; now: string };

export class OperationConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperationConflict';
  }
}

export function decide(command: OperationCommand, state: OperationState): WritebackEvent[] {
  switch (command.type) {
    case 'RequestWriteback': {
      if (state.status !== 'initial') {
        throw new OperationConflict(`operation ${command.operationId} already exists`);
      }
      return [
        {
          type: 'PasswordChangeRequested',
          version: 1,
          data: {
            operationId: command.operationId,
            request: command.request,
            caller: command.caller,
            routing: command.routing,
            domainId: command.domainId,
            requestedAt: command.now,
          },
        },
      ];
    }
    case 'DecideWriteback': {
      // Redelivery of a request that was already decided: nothing new to say.
      if (state.status !== 'requested') return [];
      const decision = decidePolicy(state.request, state.routing, command.domain);
      const targetUpn = state.request.target.userPrincipalName;
      if (!decision.approved) {
        return [
          {
            type: 'WritebackRejected',
            version: 1,
            data: {
              operationId: state.operationId,
              domainId: state.domainId,
              targetUpn,
              stage: 'policy',
              reason: decision.reason,
              policyRule: decision.ruleId,
              rejectedAt: command.now,
            },
          },
        ];
      }
      return [
        {
          type: 'WritebackApproved',
          version: 1,
          data: {
            operationId: state.operationId,
            domainId: state.domainId as string,
            targetUpn,
            kind: state.request.kind,
            policyVersion: POLICY_VERSION,
            policyRule: decision.ruleId,
            approvedAt: command.now,
          },
        },
      ];
    }
    case 'ExpireWriteback': {
      if (state.status === 'initial' || isTerminal(state.status)) return [];
      return [
        {
          type: 'WritebackFailed',
          version: 1,
          data: {
            operationId: state.operationId,
            domainId: state.domainId,
            targetUpn: state.request.target.userPrincipalName,
            reason: Reasons.DEADLINE_EXCEEDED,
            attempts: 0,
            failedAt: command.now,
          },
        },
      ];
    }
    default: {
      const unreachable: never = command;
      throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
    }
  }
}

export function evolve(state: OperationState, event: WritebackEvent): OperationState {
  if (event.type === 'PasswordChangeRequested') {
    if (state.status !== 'initial') return state;
    return {
      status: 'requested',
      operationId: event.data.operationId,
      request: event.data.request,
      caller: event.data.caller,
      routing: event.data.routing,
      domainId: event.data.domainId,
      reason: null,
    };
  }
  // A terminal state never changes, whatever arrives late or twice.
  if (state.status === 'initial' || isTerminal(state.status)) return state;
  switch (event.type) {
    case 'WritebackApproved':
      return state.status === 'requested' ? { ...state, status: 'approved' } : state;
    case 'WritebackRejected':
      return { ...state, status: 'rejected', reason: event.data.reason };
    case 'WritebackApplied':
      return { ...state, status: 'applied', reason: null };
    case 'WritebackFailed':
      return { ...state, status: 'failed', reason: event.data.reason };
    default: {
      const unreachable: never = event;
      throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
    }
  }
}

export const replay = (events: readonly WritebackEvent[]): OperationState => events.reduce(evolve, initialState());
