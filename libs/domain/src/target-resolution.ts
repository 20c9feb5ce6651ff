export interface DomainRouting {
  id: string;
  upnSuffixes: readonly string[];
}

export type TargetResolution =
  { kind: 'resolved'; domainId: string } | { kind: 'none' } | { kind: 'ambiguous'; domainIds: string[] };

/** Routes a UPN to exactly one domain by its suffix; never guesses between two. */
export function resolveTargetDomain(userPrincipalName: string, domains: readonly DomainRouting[]): TargetResolution {
  const at = userPrincipalName.lastIndexOf('@');
  if (at < 0) return { kind: 'none' };
  const suffix = userPrincipalName
    .slice(at + 1)
    .trim()
    .toLowerCase();
  const matches = domains.filter((d) => d.upnSuffixes.some((s) => s.trim().toLowerCase() === suffix)).map((d) => d.id);
  const unique = [...new Set(matches)];
  if (unique.length === 0) return { kind: 'none' };
  if (unique.length > 1) return { kind: 'ambiguous', domainIds: unique.sort() };
  return { kind: 'resolved', domainId: unique[0] as string };
}
