/**
 * A body the JSON parser refuses, passed on without the parser's message: JSON.parse quotes the
 * start of what it could not read (`Unexpected token 'H', "Hunter-2-S"... is not valid JSON`),
 * which Nest would answer as is, and that may be a password. Still a SyntaxError with status
 * 400, so Nest answers it as a 400, and a service's own filter (SCIM's) as its own.
 */
export function unparsableBody(
  error: unknown,
  _request: unknown,
  _response: unknown,
  next: (error?: unknown) => void,
): void {
  const failed =
    typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'entity.parse.failed';
  next(failed ? Object.assign(new SyntaxError('the request body is not valid JSON'), { status: 400 }) : error);
}
