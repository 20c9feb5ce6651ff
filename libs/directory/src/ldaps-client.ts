import { Client } from 'ldapts';

export interface LdapsEndpoint {
  url: string;
  /** PEM of the CA that issued the DCs' certificates; the system store when absent. */
  tlsCaPem?: string | null;
  /** Name the DC's certificate is issued to, when the URL uses an address. */
  tlsServerName?: string | null;
  timeoutMs?: number;
}

/** An unbound ldapts client over TLS 1.2+, verifying the DC's certificate. */
export function createLdapsClient(endpoint: LdapsEndpoint): Client {
  if (!endpoint.url.toLowerCase().startsWith('ldaps://')) {
    throw new Error(`refusing ${endpoint.url}: password writes need LDAPS`);
  }
  const timeout = endpoint.timeoutMs ?? 10_000;
  return new Client({
    url: endpoint.url,
    timeout,
    connectTimeout: timeout,
    tlsOptions: {
      ...(endpoint.tlsCaPem ? { ca: [endpoint.tlsCaPem] } : {}),
      ...(endpoint.tlsServerName ? { servername: endpoint.tlsServerName } : {}),
      minVersion: 'TLSv1.2',
    },
  });
}
