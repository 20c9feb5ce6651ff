import { unparsableBody } from './unparsable-body';

describe('unparsableBody', () => {
  const passedOn = (error: unknown): unknown => {
    let next: unknown = 'not called';
    unparsableBody(error, {}, {}, (e) => (next = e));
    return next;
  };

  it("replaces the parser's message, which quotes the body, and keeps its 400", () => {
    const parser = Object.assign(new SyntaxError('Unexpected token \'H\', "Hunter-2-Secret" is not valid JSON'), {
      type: 'entity.parse.failed',
      status: 400,
    });
    const error = passedOn(parser) as SyntaxError & { status: number };
    expect(error).toBeInstanceOf(SyntaxError);
    expect({ message: error.message, status: error.status }).toEqual({
      message: 'the request body is not valid JSON',
      status: 400,
    });
  });

  it('passes every other error on as it is', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413 });
    expect(passedOn(tooLarge)).toBe(tooLarge);
  });
});
