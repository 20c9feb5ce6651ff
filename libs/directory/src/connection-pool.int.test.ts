import { testEnvironment } from '@writeback/testing';
import type { Client } from 'ldapts';
import { LdapConnectionPool } from './connection-pool';
import { DirectoryError } from './directory-error';

describe('LdapConnectionPool', () => {
  const { corp } = testEnvironment().forests;
  const newPool = (urls: string[], maxConnections = 2): LdapConnectionPool =>
    new LdapConnectionPool({
      domainId: 'corp',
      urls,
      bindDn: corp.serviceAccount.upn,
      bindPassword: corp.serviceAccount.password,
      tlsCaPem: corp.caPem,
      timeoutMs: 5000,
      maxConnections,
      idleMs: 30_000,
    });

  it('bounds the connections in use, and reuses them', async () => {
    const sut = newPool([corp.ldapsUrl], 2);
    const clients = new Set<Client>();
    let inUse = 0;
    let peak = 0;
    try {
      await Promise.all(
        Array.from({ length: 8 }, () =>
          sut.use(async (client) => {
            clients.add(client);
            peak = Math.max(peak, ++inUse);
            await client.search(corp.baseDn, { scope: 'base', attributes: ['1.1'] });
            inUse--;
          }),
        ),
      );
    } finally {
      await sut.close();
    }
    expect(peak).toBe(2);
    expect(clients.size).toBe(2);
  });

  it('fails over past an unreachable DC', async () => {
    const sut = newPool(['ldaps://127.0.0.99:636', corp.ldapsUrl]);
    try {
      expect(await sut.use((_client, url) => Promise.resolve(url))).toBe(corp.ldapsUrl);
    } finally {
      await sut.close();
    }
  });

  it('reports AD.DC_UNAVAILABLE, retriable, when no DC answers', async () => {
    const sut = newPool(['ldaps://127.0.0.99:636']);
    try {
      const failure = await sut.use(() => Promise.resolve('unreachable')).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DirectoryError);
      expect(failure).toMatchObject({ retriable: true, reason: { code: 'AD.DC_UNAVAILABLE' } });
    } finally {
      await sut.close();
    }
  });

  it('does not fail over on a wrong password: that is configuration, not an outage', async () => {
    const sut = new LdapConnectionPool({
      domainId: 'corp',
      urls: [corp.ldapsUrl],
      bindDn: corp.serviceAccount.upn,
      bindPassword: 'not-the-password',
      tlsCaPem: corp.caPem,
      timeoutMs: 5000,
      maxConnections: 1,
      idleMs: 30_000,
    });
    try {
      const failure = await sut.use(() => Promise.resolve('bound')).catch((error: unknown) => error);
      expect(failure).toMatchObject({ reason: { code: 'EXECUTOR.CONFIGURATION' } });
    } finally {
      await sut.close();
    }
  });
});
