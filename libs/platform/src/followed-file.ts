import { stat } from 'node:fs/promises';

/**
 * How long after its last change a file's metadata is trusted to tell a later change. The
 * kernel stamps mtime at the granularity of a clock tick, so a file rewritten in place twice
 * within one tick, to the same size, keeps the metadata we saw; a file changed this recently is
 * read again (its owner compares the content) until the time is past.
 */
const SETTLE_MS = 2_000;

/** Which file a path names now, and whether that answer can be trusted to tell the next change. */
export interface FileVersion {
  identity: string;
  settled: boolean;
}

/**
 * The version of the file `path` resolves to now (undefined: none), for following a file, a
 * mounted Kubernetes Secret typically, without a restart. It follows the symlinks: a Secret
 * volume updates by pointing its `..data` link at a new timestamped directory, so the name stays
 * but resolves to another file (another inode), which this sees.
 */
export async function fileVersionOf(path: string): Promise<FileVersion | undefined> {
  const stats = await stat(path, { bigint: true }).catch(() => undefined);
  if (!stats) return undefined;
  return {
    identity: [stats.dev, stats.ino, stats.size, stats.mtimeNs, stats.ctimeNs].join(':'),
    settled: Date.now() - Number(stats.mtimeMs) > SETTLE_MS,
  };
}

/** Whether what was read at `known` is still what `current` holds, without reading it again. */
export const unchangedSince = (known: FileVersion | undefined, current: FileVersion): boolean =>
  known?.identity === current.identity && known.settled;
