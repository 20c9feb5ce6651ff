import { cpuBetween, parseStat } from './cpu';

describe('parseStat', () => {
  it('reads the parent and the four time fields after a command name holding spaces and parentheses', () => {
    const line =
      '4242 (samba: task[ldap) pre-fork) S 4200 4200 4200 0 -1 4194624 1000 0 0 0 250 75 12 3 20 0 1 0 100 0 0';

    expect(parseStat(line)).toEqual({
      pid: 4242,
      ppid: 4200,
      comm: 'samba: task[ldap) pre-fork',
      own: 325,
      reaped: 15,
    });
  });

  it('refuses a truncated line', () => {
    expect(parseStat('17 (node) S 1 17')).toBeUndefined();
    expect(parseStat('')).toBeUndefined();
  });
});

describe('cpuBetween', () => {
  it('subtracts per component, counting a component that appeared in between from zero', () => {
    const used = cpuBetween(
      new Map([
        ['gate', 10],
        ['dc', 4],
      ]),
      new Map([
        ['gate', 12.5],
        ['dc', 4],
        ['audit', 1],
      ]),
    );

    expect(Object.fromEntries(used)).toEqual({ gate: 2.5, dc: 0, audit: 1 });
  });
});
