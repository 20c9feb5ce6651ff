import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics } from '@writeback/observability';

/** What Express adds to a request once it has routed it. */
type RoutedRequest = IncomingMessage & { baseUrl?: string; route?: { path?: unknown } };

/**
 * Express middleware timing every HTTP request by its route template (`/v1/operations/:id`),
 * never by its path, which would carry ids.
 */
export function httpMetrics(req: RoutedRequest, res: ServerResponse, next: () => void): void {
  const stop = metrics.httpDuration.startTimer({ method: req.method ?? 'GET' });
  res.once('finish', () => {
    const route = req.route?.path;
    stop({
      route: typeof route === 'string' ? `${req.baseUrl ?? ''}${route}` : 'unmatched',
      status_code: String(res.statusCode),
    });
  });
  next();
}
