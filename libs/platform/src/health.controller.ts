import { Controller, Get, Inject, Optional, ServiceUnavailableException } from '@nestjs/common';
import type { MessageBus } from '@writeback/messaging';
import { Prisma, type Sql } from '@writeback/persistence';
import { SQL } from './prisma.module';
import { BUS } from './tokens';

/** A dependency a service cannot work without, beyond the database and the bus. */
export interface ReadinessCheck {
  /** Key in the readiness answer, e.g. `directory:corp`. */
  name: string;
  /** Resolves when the dependency answers. */
  check(): Promise<void>;
}

/** Checks a service adds to its readiness (the executor: its domains' DCs), listed per probe. */
export interface ReadinessChecks {
  readinessChecks(): Promise<ReadinessCheck[]>;
}

export const READINESS_CHECKS = Symbol('ReadinessChecks');

/** One slow dependency must not hold a probe past its own timeout. */
const CHECK_TIMEOUT_MS = 3000;

export type CheckState = 'up' | 'down';

export interface Readiness {
  status: 'ok' | 'unavailable';
  checks: Record<string, CheckState>;
}

async function probe(check: () => Promise<void>): Promise<CheckState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

let draining = false;

/** Readiness goes false first on shutdown, so traffic moves away before anything stops. */
export function markNotReady(): void {
  draining = true;
}

@Controller('health')
export class HealthController {
  constructor(
    // Not Prisma: a service whose hot path is plain SQL never loads Prisma's query compiler
    // (about 30 MiB of WebAssembly, ADR 0014) for its probes.
    @Inject(SQL) private readonly sql: Sql,
    @Inject(BUS) private readonly bus: MessageBus,
    @Optional() @Inject(READINESS_CHECKS) private readonly extra: ReadinessChecks | null,
  ) {}

  /** Cheap on purpose: the process answers. A failing dependency must not get it restarted. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Ready only when every dependency answers: the database (no request can be accepted safely
   * without it), the bus, and the service's own (the executor's DCs). 503 names the one down.
   */
  @Get('ready')
  async ready(): Promise<Readiness> {
    if (draining) throw new ServiceUnavailableException({ status: 'unavailable', checks: { shutdown: 'down' } });
    const checks: ReadinessCheck[] = [
      { name: 'database', check: async () => void (await this.sql.query(Prisma.sql`SELECT 1`)) },
      { name: 'bus', check: () => this.bus.check() },
      ...((await this.extra?.readinessChecks()) ?? []),
    ];
    const states = await Promise.all(checks.map(async (c) => [c.name, await probe(() => c.check())] as const));
    const readiness: Readiness = {
      status: states.every(([, state]) => state === 'up') ? 'ok' : 'unavailable',
      checks: Object.fromEntries(states),
    };
    if (readiness.status !== 'ok') throw new ServiceUnavailableException(readiness);
    return readiness;
  }
}
