import { Prisma, type Sql } from '@writeback/persistence';
import type { OutgoingMessage } from '../message-bus';

/**
 * A JSON field of every message's value, set in SQL to a value the statement itself computes
 * (e.g. an id PostgreSQL assigns to the row the message announces). `path` names the field as
 * PostgreSQL's `jsonb_set` does; `to` is any SQL expression, stored as a JSON string.
 */
export interface OutboxFill {
  path: readonly string[];
  to: Prisma.Sql;
}

/**
 * The insert of `messages` into the producer's outbox as one statement, for a `WITH` clause, so
 * a writer can commit its change and its messages in a single round trip (a statement is
 * atomic on its own). Messages keep their order: the relay publishes by id. Its text does not
 * depend on the messages (they travel as one JSON parameter), so it is prepared once.
 */
export function outboxInsert(
  producer: string,
  messages: readonly OutgoingMessage[],
  /** A condition on the rest of the statement, e.g. `EXISTS (SELECT 1 FROM inserted)`. */
  onlyIf: Prisma.Sql = Prisma.sql`true`,
  fill?: OutboxFill,
): Prisma.Sql {
  const rows = JSON.stringify(
    messages.map((m) => ({ topic: m.topic, key: m.key, headers: m.headers ?? {}, value: m.value })),
  );
  const value = fill
    ? Prisma.sql`jsonb_set((m.value->>'value')::jsonb, ${[...fill.path]}::text[], to_jsonb((${fill.to})::text))::text`
    : Prisma.sql`m.value->>'value'`;
  return Prisma.sql`
    INSERT INTO outbox_messages (producer, topic, key, headers, value)
    SELECT ${producer}, m.value->>'topic', m.value->>'key', m.value->'headers', ${value}
      FROM jsonb_array_elements(${rows}::jsonb) WITH ORDINALITY AS m(value, position)
     WHERE ${onlyIf}
     ORDER BY m.position`;
}

/**
 * Adds messages to the outbox, next to the caller's state change: inside its transaction (an
 * `Sql` from `transaction`, or `sqlOverPrisma` of a Prisma transaction), or alone.
 */
export async function writeOutbox(db: Sql, producer: string, messages: readonly OutgoingMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await db.execute(outboxInsert(producer, messages));
}
