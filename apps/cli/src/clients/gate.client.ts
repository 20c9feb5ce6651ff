import type { OperationPage, OperationQueryInput, OperationView } from '@writeback/contracts';
import type { ServiceClient } from '../services';

/** The longest the gate holds an answer (`waitSeconds`). */
const GATE_MAX_WAIT_SECONDS = 30;

const TERMINAL: ReadonlyArray<OperationView['status']> = ['applied', 'rejected', 'failed'];

export const isEnded = (view: OperationView): boolean => TERMINAL.includes(view.status);

/** Query text of a filter, its unset fields left out. */
export function queryString(filter: object): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) {
    if (value !== undefined && value !== null)
      query.set(name, value instanceof Date ? value.toISOString() : String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** The policy gate's operations API (`docs/openapi/policy-gate.json`), typed. */
export class GateClient {
  constructor(private readonly http: ServiceClient) {}

  async requestOperation(body: Record<string, unknown>): Promise<OperationView> {
    return (await this.http.call<OperationView>('gateUrl', 'POST', '/v1/operations', body)).body;
  }

  /** The operation now, or once it ends if that is within `waitSeconds` (at most 30). */
  async getOperation(id: string, waitSeconds = 0): Promise<OperationView> {
    const wait = Math.min(GATE_MAX_WAIT_SECONDS, Math.max(0, Math.ceil(waitSeconds)));
    return this.http.get<OperationView>(
      'gateUrl',
      `/v1/operations/${encodeURIComponent(id)}${wait > 0 ? `?waitSeconds=${wait}` : ''}`,
    );
  }

  /**
   * The operation once it has ended, or as it stands when `timeoutMs` has passed: the gate
   * answers as soon as it ends, so this asks again only every 30 s while it has not.
   */
  async waitForOperation(id: string, timeoutMs: number): Promise<OperationView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.getOperation(id, (deadline - Date.now()) / 1000);
      if (isEnded(view) || Date.now() >= deadline) return view;
    }
  }

  /** One page of operations, newest first. */
  async listOperations(filter: OperationQueryInput): Promise<OperationPage> {
    return this.http.get<OperationPage>('gateUrl', `/v1/operations${queryString(filter)}`);
  }
}
