import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { ByPathExceptionFilter } from './by-path.filter';

function recording(name: string, calls: string[]): ExceptionFilter {
  return { catch: () => void calls.push(name) };
}

const request = (path: string, type = 'http'): ArgumentsHost =>
  ({ getType: () => type, switchToHttp: () => ({ getRequest: () => ({ path }) }) }) as unknown as ArgumentsHost;

describe('ByPathExceptionFilter', () => {
  it('hands an error under a prefix to its filter, any other to the fallback', () => {
    const calls: string[] = [];
    const sut = new ByPathExceptionFilter([['/scim/v2/', recording('scim', calls)]], recording('fallback', calls));
    sut.catch(new SyntaxError('not JSON'), request('/scim/v2/Users/1'));
    sut.catch(new SyntaxError('not JSON'), request('/v1/operations'));
    sut.catch(new SyntaxError('not JSON'), request('/scim/v2', 'rpc'));
    expect(calls).toEqual(['scim', 'fallback', 'fallback']);
  });
});
