import { type ArgumentsHost, NotFoundException } from '@nestjs/common';
import type { HttpServer } from '@nestjs/common';
import { classifyDatabaseError } from '@writeback/persistence';
import { DatabaseBusyFilter } from './database-busy.filter';

function recordingAdapter(): { adapter: HttpServer; replies: unknown[][]; headers: unknown[][] } {
  const replies: unknown[][] = [];
  const headers: unknown[][] = [];
  const adapter = {
    reply: (_response: unknown, body: unknown, status: number) => replies.push([status, body]),
    setHeader: (_response: unknown, name: string, value: string) => headers.push([name, value]),
    isHeadersSent: () => false,
    end: () => undefined,
  } as unknown as HttpServer;
  return { adapter, replies, headers };
}

const httpHost = {
  getType: () => 'http',
  switchToHttp: () => ({ getResponse: () => ({}), getRequest: () => ({}) }),
  getArgByIndex: () => ({}),
} as unknown as ArgumentsHost;

describe('DatabaseBusyFilter', () => {
  it('answers an exhausted database pool with 503 and Retry-After', () => {
    const { adapter, replies, headers } = recordingAdapter();
    // What the classifying Prisma client throws for P2028 ("unable to start a transaction").
    new DatabaseBusyFilter(adapter).catch(
      classifyDatabaseError(Object.assign(new Error('Unable to start a transaction'), { code: 'P2028' })),
      httpHost,
    );
    expect(headers).toEqual([['Retry-After', '1']]);
    expect(replies).toEqual([[503, expect.objectContaining({ statusCode: 503 }) as unknown]]);
  });

  it('leaves every other error to Nest as before', () => {
    const { adapter, replies, headers } = recordingAdapter();
    new DatabaseBusyFilter(adapter).catch(new NotFoundException('no such operation'), httpHost);
    expect(headers).toEqual([]);
    expect(replies.map(([status]) => status)).toEqual([404]);
  });
});
