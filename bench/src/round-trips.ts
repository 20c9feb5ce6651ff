/**
 * Counts what a service sends: PostgreSQL queries (node-postgres, by statement) and Kafka
 * requests (kafkajs, by API, and by consumer group and API). A preload for a diagnostic run of the benchmark, not part of it:
 *
 *   WRITEBACK_BENCH_ROUND_TRIPS=/tmp/trips NODE_OPTIONS="--require $PWD/bench/dist/round-trips.js" \
 *     npm run bench -- --users 300 --operations 200
 *
 * Each service writes `<dir>/<service>-<pid>.json` every two seconds; divide by the run's
 * operations (two phases of `--operations`, then `--users`) for the figures per operation
 * (docs/benchmarks.md, ADR 0015). Other processes (the load generator itself) are left alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Countable {
  prototype: Record<string, unknown>;
}

interface Instrumented {
  events: { REQUEST: string };
  on(event: string, listener: (event: { payload: { apiName: string } }) => void): void;
}

const dir = process.env['WRITEBACK_BENCH_ROUND_TRIPS'];
const service = /\/apps\/([^/]+)\//.exec(process.argv[1] ?? '')?.[1];

/** Wraps `method` of a class so that every call counts under `key(first argument)`. */
function count(counts: Map<string, number>, target: Countable, method: string, key: (arg: unknown) => string): void {
  const original = target.prototype[method];
  if (typeof original !== 'function') throw new Error(`round-trips: no method ${method} to count`);
  target.prototype[method] = function counted(this: unknown, ...args: unknown[]): unknown {
    const name = key(args[0]);
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
}

if (dir && service) {
  const queries = new Map<string, number>();
  const requests = new Map<string, number>();
  const byGroup = new Map<string, number>();
  // The same module instances the service loads: resolved from the repository's node_modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as { Client: Countable };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const connection = require('kafkajs/src/network/connection') as Countable;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const kafkajs = require('kafkajs') as { Kafka: Countable };
  count(queries, pg.Client, 'query', (config) => {
    const text = typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text;
    return (text ?? '?').replace(/\s+/g, ' ').trim().slice(0, 100);
  });
  count(requests, connection, 'send', (args) => {
    const request = (args as { request?: { apiName?: string } } | undefined)?.request;
    return request?.apiName ?? '?';
  });
  // A consumer's requests carry no group id: counted from its own instrumentation events.
  const consumer = kafkajs.Kafka.prototype['consumer'] as (this: unknown, config: { groupId: string }) => Instrumented;
  kafkajs.Kafka.prototype['consumer'] = function countedConsumer(this: unknown, config: { groupId: string }) {
    const created = consumer.call(this, config);
    created.on(created.events.REQUEST, ({ payload }) => {
      const name = `${config.groupId} ${payload.apiName}`;
      byGroup.set(name, (byGroup.get(name) ?? 0) + 1);
    });
    return created;
  };
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${service}-${process.pid}.json`);
  const write = (): void =>
    writeFileSync(
      file,
      JSON.stringify(
        {
          service,
          queries: Object.fromEntries(queries),
          requests: Object.fromEntries(requests),
          consumerRequests: Object.fromEntries(byGroup),
        },
        null,
        1,
      ),
    );
  setInterval(write, 2000).unref();
  process.on('exit', write);
}
