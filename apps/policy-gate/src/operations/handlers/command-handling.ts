import { Injectable } from '@nestjs/common';
import { envelope, type EventEnvelope } from '@writeback/contracts';
import type { GateDecision } from '@writeback/domain';
import { currentTraceparent } from '@writeback/observability';
import type { Sql } from '@writeback/persistence';
import { commandMessage, eventMessage, OutboxRelay, type OutgoingMessage } from '@writeback/messaging';
import { OperationChanges } from '../operation-changes';
import { OwnEvents } from '../own-events';
import {
  OperationStore,
  StreamConflict,
  type Appended,
  type OperationStream,
  type StreamChange,
} from '../store/operation-store';

/**
 * How many times a command is decided again after another writer appended first. Writers of
 * one operation are its Kafka partition's consumer, its deadline watch and (once) its request,
 * so a second try is already rare; the last loss is thrown (StreamConflict is retriable).
 */
export const APPEND_ATTEMPTS = 8;

/** A handler's decision on the stream as read: what to append, or null when nothing is new. */
export type Decide = (stream: OperationStream) => StreamChange | null | Promise<StreamChange | null>;

/**
 * The gate's decision as recorded and sent: its events and the executor's command in their
 * envelopes, each event also published. What a request caused (its decision and the command)
 * names it as their cause: the request recorded with it, or `causationId`. The request names
 * `requestTraceparent`, the span that accepted it.
 */
export function envelopeDecision(
  decision: GateDecision,
  operationId: string,
  causationId: string | null,
  requestTraceparent: string | null = currentTraceparent(),
): Pick<StreamChange, 'events' | 'outbox'> {
  const traceparent = currentTraceparent();
  let cause = causationId;
  const events = decision.events.map((event): EventEnvelope => {
    if (event.type !== 'PasswordChangeRequested') {
      return envelope(event, { correlationId: operationId, causationId: cause, traceparent });
    }
    const requested = envelope(event, { correlationId: operationId, traceparent: requestTraceparent });
    cause = requested.eventId;
    return requested;
  });
  const commands: OutgoingMessage[] = decision.command
    ? [commandMessage(envelope(decision.command, { correlationId: operationId, causationId: cause, traceparent }))]
    : [];
  return { events, outbox: [...events.map(eventMessage), ...commands] };
}

/** One try: the stream (as read, or handed over), the decision on it, appended at its version. */
async function appendDecided(
  store: OperationStore,
  operationId: string,
  decide: Decide,
  read?: OperationStream,
): Promise<Appended | null> {
  const stream = read ?? (await store.read(operationId));
  const change = await decide(stream);
  return change && change.events.length > 0 ? store.append(stream, change) : null;
}

/** Runs `attempt` again while it loses the race for the stream, up to APPEND_ATTEMPTS in all. */
async function retryingConflicts<T>(attempt: (tries: number) => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt(tries);
    } catch (error) {
      if (!(error instanceof StreamConflict) || tries >= APPEND_ATTEMPTS) throw error;
    }
  }
}

/**
 * What every command handler of the gate does around its decision: read the stream, decide,
 * append at the version read, and on a lost race read and decide again. Once committed: the
 * appended events are remembered as the gate's own (`OwnEvents`), the outbox relay is kicked
 * when messages were queued, and callers waiting on the operation are woken with its view.
 */
@Injectable()
export class CommandHandling {
  constructor(
    private readonly store: OperationStore,
    private readonly own: OwnEvents,
    private readonly changes: OperationChanges,
    private readonly outbox: OutboxRelay,
  ) {}

  /**
   * Decides on `read` first when given (a stream just read, or a new one, which then costs no
   * read), and on a fresh read after a lost race. Null when the decision appended nothing.
   */
  async handle(operationId: string, decide: Decide, read?: OperationStream): Promise<Appended | null> {
    const appended = await retryingConflicts((tries) =>
      appendDecided(this.store, operationId, decide, tries === 1 ? read : undefined),
    );
    return this.committed(operationId, appended);
  }

  /**
   * Reads, decides and appends in one transaction with `guard` first (a compare-and-set): when
   * it refuses, nothing is read or appended and the answer is false.
   */
  async handleGuarded(
    operationId: string,
    guard: (tx: Sql) => Promise<boolean>,
    decide: Decide,
  ): Promise<Appended | null | false> {
    const appended = await retryingConflicts(() =>
      this.store.transaction(async (store, tx) => (await guard(tx)) && appendDecided(store, operationId, decide)),
    );
    return appended === false ? false : this.committed(operationId, appended);
  }

  private committed(operationId: string, appended: Appended | null): Appended | null {
    if (!appended) return null;
    this.own.remember(appended.events);
    if (appended.queued > 0) this.outbox.kick();
    this.changes.changed(operationId, appended.view);
    return appended;
  }
}
