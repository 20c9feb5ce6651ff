import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@writeback/contracts';

/**
 * How many of its own appended events the gate remembers, to skip them when they come back over
 * the bus, which takes milliseconds: minutes' worth at the rates it sustains. One forgotten
 * costs a read.
 */
export const REMEMBERED_EVENTS = 10_000;

/**
 * The events this process appended lately. The gate's own events come back to its consumer over
 * the bus, already recorded, since a message is queued in the statement that records its event:
 * the consumer's handlers skip them without a read. Another replica's events are not here; they
 * cost a read of the stream, which holds them already, and no write.
 */
@Injectable()
export class OwnEvents {
  /** Oldest first: a Set iterates in insertion order. */
  private readonly ids = new Set<string>();

  /**
   * Remembers appended events, up to REMEMBERED_EVENTS. An event remembered from a transaction
   * that then rolled back is never seen again: its message was rolled back with it.
   */
  remember(events: readonly EventEnvelope[]): void {
    for (const e of events) this.ids.add(e.eventId);
    for (const oldest of this.ids) {
      if (this.ids.size <= REMEMBERED_EVENTS) break;
      this.ids.delete(oldest);
    }
  }

  /** True when this process appended the event, among its most recent appends. */
  appendedHere(eventId: string): boolean {
    return this.ids.has(eventId);
  }
}
