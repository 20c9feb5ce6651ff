import { resolveTargetDomain, type DomainRouting } from './target-resolution';

const corp: DomainRouting = { id: 'corp', upnSuffixes: ['corp.example.test', 'corp-mail.example.test'] };
const fabrikam: DomainRouting = { id: 'fabrikam', upnSuffixes: ['fabrikam.example.test'] };
const domains = [corp, fabrikam];

describe('resolveTargetDomain', () => {
  it('routes a UPN to the one domain that claims its suffix', () => {
    expect(resolveTargetDomain('carol@fabrikam.example.test', domains)).toEqual({
      kind: 'resolved',
      domainId: 'fabrikam',
    });
    expect(resolveTargetDomain('alice@corp-mail.example.test', domains)).toEqual({
      kind: 'resolved',
      domainId: 'corp',
    });
  });

  it.each(['Alice@CORP.Example.Test', 'ALICE@CORP.EXAMPLE.TEST'])(
    'matches the suffix case-insensitively: %s',
    (upn) => {
      expect(resolveTargetDomain(upn, domains)).toEqual({ kind: 'resolved', domainId: 'corp' });
    },
  );

  it('matches suffixes configured in another case', () => {
    expect(
      resolveTargetDomain('alice@corp.example.test', [{ id: 'corp', upnSuffixes: ['Corp.Example.TEST'] }]),
    ).toEqual({
      kind: 'resolved',
      domainId: 'corp',
    });
  });

  it.each([
    ['an unconfigured suffix', 'alice@contoso.example.test'],
    ['a parent of a configured suffix', 'alice@example.test'],
    ['a child of a configured suffix', 'alice@eu.corp.example.test'],
    ['a configured suffix as a prefix', 'alice@corp.example.test.evil'],
    ['an empty suffix', 'alice@'],
    ['a UPN without @', 'alice.corp.example.test'],
    ['an empty string', ''],
  ])('matches nothing for %s', (_case, upn) => {
    expect(resolveTargetDomain(upn, domains)).toEqual({ kind: 'none' });
  });

  it('matches nothing when no domain is configured', () => {
    expect(resolveTargetDomain('alice@corp.example.test', [])).toEqual({ kind: 'none' });
  });

  it('never guesses when two domains claim one suffix', () => {
    const split: DomainRouting = { id: 'corp-split', upnSuffixes: ['CORP.example.test'] };
    expect(resolveTargetDomain('alice@corp.example.test', [split, ...domains])).toEqual({
      kind: 'ambiguous',
      domainIds: ['corp', 'corp-split'],
    });
  });

  it('is not ambiguous when one domain lists a suffix twice', () => {
    const twice: DomainRouting = { id: 'corp', upnSuffixes: ['corp.example.test', 'CORP.EXAMPLE.TEST'] };
    expect(resolveTargetDomain('alice@corp.example.test', [twice, fabrikam])).toEqual({
      kind: 'resolved',
      domainId: 'corp',
    });
  });

  it('ignores whitespace around the UPN suffix and around configured suffixes', () => {
    expect(resolveTargetDomain('alice@corp.example.test  ', domains)).toEqual({ kind: 'resolved', domainId: 'corp' });
    expect(resolveTargetDomain(' alice@ corp.example.test', domains)).toEqual({ kind: 'resolved', domainId: 'corp' });
    expect(
      resolveTargetDomain('alice@corp.example.test', [{ id: 'corp', upnSuffixes: ['  corp.example.test '] }]),
    ).toEqual({
      kind: 'resolved',
      domainId: 'corp',
    });
  });

  it('routes on the last @ only', () => {
    expect(resolveTargetDomain('alice@fabrikam.example.test@corp.example.test', domains)).toEqual({
      kind: 'resolved',
      domainId: 'corp',
    });
  });
});
