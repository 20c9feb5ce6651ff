import type { OperationView } from '@writeback/testing';

export interface GateCaller {
  token(subject: string): Promise<string>;
}

export interface WritebackSample {
  operationId: string;
  /** performance.now() when the POST was sent, when its 202 came back, when the caller heard the end. */
  sentAt: number;
  acceptedAt: number;
  endedAt: number;
  /** Wall-clock milliseconds of `sentAt`, to line up with the history's timestamps. */
  sentEpochMs: number;
  view: OperationView;
}

const TERMINAL = new Set(['applied', 'rejected', 'failed']);
const TOKEN_REFRESH_MS = 60_000;

/** A caller of the policy gate, as the cloud's SSPR portal is: submits a reset and waits for its end. */
export class GateClient {
  private cached: { token: string; at: number } | undefined;

  constructor(
    private readonly gateUrl: string,
    private readonly issuer: GateCaller,
  ) {}

  /** Submissions the gate asked to retry later (503/429 with Retry-After), as a portal would. */
  retriedSubmissions = 0;

  /** POST /v1/operations; resolves with the operation id once accepted, honouring Retry-After. */
  async submit(body: unknown, maxTries = 10): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(new URL('/v1/operations', this.gateUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.token()}` },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (response.status === 202) return (JSON.parse(text) as OperationView).operationId;
      const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
      if ((response.status === 503 || response.status === 429) && attempt < maxTries && retryAfter >= 0) {
        this.retriedSubmissions++;
        await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
        continue;
      }
      throw new Error(`POST /v1/operations answered ${response.status}: ${text}`);
    }
  }

  /** Holds GET /v1/operations/:id?waitSeconds until the operation ends. */
  async waitForEnd(operationId: string, timeoutMs = 600_000): Promise<OperationView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await fetch(new URL(`/v1/operations/${operationId}?waitSeconds=30`, this.gateUrl), {
        headers: { authorization: `Bearer ${await this.token()}` },
      });
      const view = (await response.json()) as OperationView;
      if (TERMINAL.has(view.status)) return view;
      if (Date.now() > deadline) throw new Error(`operation ${operationId} did not end in ${timeoutMs} ms`);
    }
  }

  /** Submit and wait: one operation as its caller sees it. */
  async run(body: unknown): Promise<WritebackSample> {
    const sentEpochMs = Date.now();
    const sentAt = performance.now();
    const operationId = await this.submit(body);
    const acceptedAt = performance.now();
    const view = await this.waitForEnd(operationId);
    return { operationId, sentAt, acceptedAt, endedAt: performance.now(), sentEpochMs, view };
  }

  private async token(): Promise<string> {
    if (!this.cached || Date.now() - this.cached.at > TOKEN_REFRESH_MS) {
      this.cached = { token: await this.issuer.token('bench-sspr-portal'), at: Date.now() };
    }
    return this.cached.token;
  }
}

/** An administrator's reset of one user, as the benchmark submits it. */
export function resetRequest(userPrincipalName: string, password: string, forceChange = false): unknown {
  return {
    kind: 'admin-reset',
    channel: 'admin-center',
    initiator: { id: 'bench@cloud.example', isAdministrator: true },
    target: { userPrincipalName },
    newPassword: password,
    options: { forceChangeAtNextLogon: forceChange, unlockAccount: false },
  };
}
