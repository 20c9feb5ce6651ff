import { isIP } from 'node:net';
import { connect } from 'node:tls';
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

/**
 * The names on a DC's certificate (`DNS:…`, `IP Address:…`, else `CN:…`), read in a handshake
 * that verifies the chain against the endpoint's CA but not the name: what a certificate refused
 * for its name is issued to. Never used to talk LDAP.
 */
export function certificateNames(endpoint: LdapsEndpoint): Promise<string[]> {
  const url = new URL(endpoint.url);
  const servername = endpoint.tlsServerName ?? (isIP(url.hostname) ? undefined : url.hostname);
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: url.hostname,
        port: Number(url.port || 636),
        ...(endpoint.tlsCaPem ? { ca: [endpoint.tlsCaPem] } : {}),
        ...(servername ? { servername } : {}),
        minVersion: 'TLSv1.2',
        checkServerIdentity: () => undefined,
      },
      () => {
        const cert = socket.getPeerCertificate();
        socket.destroy();
        const names = (cert.subjectaltname ?? '').split(', ').filter(Boolean);
        resolve(names.length > 0 ? names : cert.subject?.CN ? [`CN:${String(cert.subject.CN)}`] : []);
      },
    );
    socket.setTimeout(endpoint.timeoutMs ?? 10_000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.once('error', reject);
  });
}
