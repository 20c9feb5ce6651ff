import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import type { PrismaClient } from '@writeback/persistence';
import { PRISMA } from './prisma.module';

let draining = false;

/** Readiness goes false first on shutdown, so traffic moves away before anything stops. */
export function markNotReady(): void {
  draining = true;
}

@Controller('health')
export class HealthController {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready only when the database answers: without it no request can be accepted safely. */
  @Get('ready')
  async ready(): Promise<{ status: 'ok' }> {
    if (draining) throw new ServiceUnavailableException('shutting down');
    try {
      await this.prisma.$queryRaw`SELECT 1`;
      return { status: 'ok' };
    } catch {
      throw new ServiceUnavailableException('database unreachable');
    }
  }
}
