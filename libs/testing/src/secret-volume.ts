import { mkdir, readdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A directory laid out and updated as the kubelet does a Secret (or projected) volume: the
 * files live in a timestamped directory, `..data` points at it, and each visible name is a
 * symlink through `..data`. An update writes a new timestamped directory, swaps `..data` by
 * renaming a new symlink over it, adds and removes the visible names, then deletes the old one.
 */
export async function secretVolume(dir: string, files: Record<string, string>): Promise<void> {
  const entries = await readdir(dir);
  const previous = entries.find((e) => e.startsWith('..') && e !== '..data');
  const current = `..${new Date().toISOString().replace(/\D/g, '_')}${Math.random().toString().slice(2, 8)}`;
  await mkdir(join(dir, current));
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, current, name), content);
  await symlink(current, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of Object.keys(files)) {
    if (!entries.includes(name)) await symlink(join('..data', name), join(dir, name));
  }
  for (const name of entries.filter((e) => !e.startsWith('..') && !(e in files))) await unlink(join(dir, name));
  if (previous) await rm(join(dir, previous), { recursive: true });
}
