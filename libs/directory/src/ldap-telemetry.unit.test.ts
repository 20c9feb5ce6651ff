import { metrics } from '@writeback/observability';
import { ldapRequests, retainDcs } from './ldap-telemetry';

async function dcUp(): Promise<Record<string, number>> {
  const { values } = await metrics.dcUp.get();
  return Object.fromEntries(values.map(({ labels, value }) => [`${labels.domain}/${labels.dc}`, value]));
}

const unreachable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.99:636'), { code: 'ECONNREFUSED' });

describe('DC health series', () => {
  beforeEach(() => metrics.dcUp.reset());

  it('drops the series of a DC removed from its domain, and only those', async () => {
    await ldapRequests('corp', 'ldaps://dc1.corp.test:636')('bind', {}, () => Promise.resolve());
    await expect(
      ldapRequests('corp', 'ldaps://127.0.0.99:636')('bind', {}, () => Promise.reject(unreachable)),
    ).rejects.toThrow();
    await ldapRequests('fabrikam', 'ldaps://127.0.0.99:636')('bind', {}, () => Promise.resolve());
    expect(await dcUp()).toEqual({ 'corp/dc1.corp.test': 1, 'corp/127.0.0.99': 0, 'fabrikam/127.0.0.99': 1 });

    retainDcs('corp', ['ldaps://dc1.corp.test:636', 'ldaps://dc2.corp.test:636']);

    expect(await dcUp()).toEqual({ 'corp/dc1.corp.test': 1, 'fabrikam/127.0.0.99': 1 });
  });

  it('reports a DC again once it is back in the list and answers', async () => {
    const request = ldapRequests('corp', 'ldaps://127.0.0.99:636');
    await expect(request('bind', {}, () => Promise.reject(unreachable))).rejects.toThrow();
    retainDcs('corp', ['ldaps://dc1.corp.test:636']);
    retainDcs('corp', ['ldaps://127.0.0.99:636']);
    expect(await dcUp()).toEqual({});
    await request('bind', {}, () => Promise.resolve());
    expect(await dcUp()).toEqual({ 'corp/127.0.0.99': 1 });
  });
});
