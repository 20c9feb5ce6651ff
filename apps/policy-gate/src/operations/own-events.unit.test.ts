import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@writeback/contracts';
import { OwnEvents, REMEMBERED_EVENTS } from './own-events';

const event = (): EventEnvelope => ({ eventId: randomUUID() }) as EventEnvelope;

describe('OwnEvents', () => {
  it('knows the events it was told this process appended, and no others', () => {
    const sut = new OwnEvents();
    const [mine, other] = [event(), event()];

    sut.remember([mine]);

    expect(sut.appendedHere(mine.eventId)).toBe(true);
    expect(sut.appendedHere(other.eventId)).toBe(false);
    expect(new OwnEvents().appendedHere(mine.eventId)).toBe(false);
  });

  it('forgets the oldest first once it holds REMEMBERED_EVENTS', () => {
    const sut = new OwnEvents();
    const oldest = event();
    const rest = Array.from({ length: REMEMBERED_EVENTS }, event);

    sut.remember([oldest]);
    sut.remember(rest);

    expect(sut.appendedHere(oldest.eventId)).toBe(false);
    expect(rest.every((e) => sut.appendedHere(e.eventId))).toBe(true);
  });
});
