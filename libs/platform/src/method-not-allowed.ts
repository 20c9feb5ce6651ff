import type { IncomingMessage, ServerResponse } from 'node:http';

/** What this middleware reads of Express' router (router 2): its layers, and each route's methods. */
export interface RouterLayer {
  route?: { methods: Record<string, boolean | undefined> };
  match(path: string): unknown;
}

/**
 * Nest mounts route-wide middleware (the request logger) as a route taking every method, and
 * Express' `app.all` as `_all`; neither is a resource. No API here takes TRACE.
 */
const isMiddlewareMount = (methods: Record<string, boolean | undefined>): boolean =>
  Boolean(methods['_all']) || ['get', 'post', 'put', 'patch', 'delete', 'trace'].every((m) => methods[m]);

/**
 * Express middleware answering a method that a known path does not take with 405 and `Allow`
 * (RFC 9110 §15.5.6) instead of Express' 404, which would say the resource does not exist.
 * `layers` reads the router at request time, when every route is registered. Paths under
 * `answeredElsewhere` are left to their own routes (SCIM's, whose errors have a body of their own).
 */
export function methodNotAllowed(layers: () => readonly RouterLayer[], answeredElsewhere: readonly string[] = []) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (answeredElsewhere.some((prefix) => path.startsWith(prefix))) return next();
    const allowed = new Set<string>();
    for (const layer of layers()) {
      if (!layer.route || !layer.match(path)) continue;
      const methods = layer.route.methods;
      if (isMiddlewareMount(methods)) continue;
      for (const [method, on] of Object.entries(methods)) if (on) allowed.add(method.toUpperCase());
    }
    if (allowed.has('GET')) allowed.add('HEAD');
    if (allowed.size === 0 || allowed.has(req.method ?? 'GET')) return next();
    const allow = [...allowed].sort().join(', ');
    res.statusCode = 405;
    res.setHeader('Allow', allow);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(
      JSON.stringify({
        statusCode: 405,
        error: 'Method Not Allowed',
        message: `${req.method} is not allowed; allowed: ${allow}`,
      }),
    );
  };
}
