/**
 * Which domains an executor serves (WRITEBACK_EXECUTOR_DOMAINS): a comma list (one deployment
 * per forest in production, so no executor ever receives another forest's sealed passwords), or
 * `*` for every domain whose key it holds (the embedded default), returned as an empty list.
 */
export function servedDomains(setting: string): string[] {
  const trimmed = setting.trim();
  if (trimmed === '*') return [];
  return [
    ...new Set(
      trimmed
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean),
    ),
  ].sort();
}
