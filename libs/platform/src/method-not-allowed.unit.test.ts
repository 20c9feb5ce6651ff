import type { IncomingMessage, ServerResponse } from 'node:http';
import { methodNotAllowed, type RouterLayer } from './method-not-allowed';

const route = (path: RegExp, ...methods: string[]): RouterLayer => ({
  route: { methods: Object.fromEntries(methods.map((m) => [m, true])) },
  match: (candidate: string) => path.test(candidate),
});
const middlewareLayer: RouterLayer = { match: () => true };
const allRoutesMiddleware: RouterLayer = { route: { methods: { _all: true } }, match: () => true };
// How Nest mounts route-wide middleware (nestjs-pino's request logger): a route taking every method.
const nestMiddlewareMount = route(/./, 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace', 'connect');

function call(method: string, url: string, layers: RouterLayer[]) {
  const headers: Record<string, string> = {};
  const res = {
    statusCode: 200,
    body: '',
    setHeader: (name: string, value: string) => {
      headers[name] = value;
    },
    end(body: string) {
      this.body = body;
    },
  };
  let passed = false;
  methodNotAllowed(() => layers)({ method, url } as IncomingMessage, res as unknown as ServerResponse, () => {
    passed = true;
  });
  return { passed, status: res.statusCode, headers, body: res.body };
}

describe('methodNotAllowed', () => {
  const layers = [
    middlewareLayer,
    allRoutesMiddleware,
    nestMiddlewareMount,
    route(/^\/v1\/domains$/, 'get', 'post'),
    route(/^\/v1\/domains\/[^/]+$/, 'get', 'put'),
  ];

  it('given a known path and a method it takes, when called, then it passes the request on', () => {
    expect(call('POST', '/v1/domains', layers).passed).toBe(true);
    expect(call('HEAD', '/v1/domains/corp?x=1', layers).passed).toBe(true);
  });

  it('given an unknown path, when called, then it leaves the 404 to the router', () => {
    expect(call('TRACE', '/v1/nothing', layers).passed).toBe(true);
  });

  it('given a known path and a method it does not take, when called, then it answers 405 with Allow', () => {
    const answer = call('TRACE', '/v1/domains', layers);
    expect(answer).toMatchObject({ passed: false, status: 405, headers: { Allow: 'GET, HEAD, POST' } });
    expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 405, error: 'Method Not Allowed' });
  });
});
