import { csvLineCount } from './audit.client';

describe('csvLineCount', () => {
  it('counts the header and each record', () => {
    expect(csvLineCount('a,b\n1,2\n3,4\n')).toBe(3);
    expect(csvLineCount('a,b\n')).toBe(1);
    expect(csvLineCount('')).toBe(0);
  });

  it('does not count a line end inside a quoted field, doubled quotes included', () => {
    expect(csvLineCount('a,b\n"x\ny",2\n"say ""hi""\n",3\n')).toBe(3);
  });
});
