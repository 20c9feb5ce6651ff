import { columnWidths, table } from './output';

const ID = '0b6a3f52-6f0e-4c53-9d0e-2f8a6c1e9b41';
const REASON =
  'AD.PASSWORD_TOO_YOUNG: The password was changed too recently: the minimum password age is greater than 0.';

describe('columnWidths', () => {
  it('sizes every column to its content, header included, off a terminal', () => {
    expect(columnWidths(['id', 'reason'], [[ID, REASON]])).toEqual([ID.length + 2, REASON.length + 2]);
    expect(columnWidths(['a long header', 'x'], [['1', null]])).toEqual([15, 3]);
  });

  it('takes the longest line of a cell that holds several', () => {
    expect(columnWidths(['urls'], [['ldaps://a:636\nldaps://dc2.corp.example:636']])).toEqual([30]);
  });

  it('wraps only the last column to what a terminal leaves, never an id', () => {
    const widths = columnWidths(['id', 'reason'], [[ID, REASON]], 80);

    expect(widths[0]).toBe(ID.length + 2);
    // Three borders, and the rest of the 80 columns for the reason.
    expect(widths[1]).toBe(80 - 3 - (ID.length + 2));
  });

  it('keeps a narrow table as it is on a wide terminal', () => {
    expect(columnWidths(['a', 'b'], [['x', 'y']], 200)).toEqual([3, 3]);
  });

  it('keeps the last column readable, and wider than its longest word, on a terminal too narrow', () => {
    const words = 'no word here is long but the text is longer than what is left';
    expect(columnWidths(['id', 'reason'], [[ID, words]], 40)[1]).toBe(22);
    expect(columnWidths(['id', 'reason'], [[ID, REASON]], 40)[1]).toBe('AD.PASSWORD_TOO_YOUNG:'.length + 2);
    const url = 'ldaps://dc1.a-long-forest-name.example.test:636';
    expect(columnWidths(['id', 'url'], [[ID, `see ${url}`]], 40)[1]).toBe(url.length + 2);
  });
});

describe('table', () => {
  it('prints ids and long text whole when stdout is not a terminal', () => {
    const rendered = table(['id', 'reason'], [[ID, REASON]], undefined);

    expect(rendered).toContain(ID);
    expect(rendered).toContain(REASON);
    expect(rendered).not.toContain('…');
  });

  it('wraps the last column at spaces on a terminal, each line within its width', () => {
    const rendered = table(['id', 'reason'], [[ID, REASON]], 80);

    expect(rendered).toContain(ID);
    expect(rendered).not.toContain('…');
    expect(rendered.split('\n').every((line) => line.length <= 80)).toBe(true);
    expect(rendered.split('\n').length).toBeGreaterThan(5);
  });
});
