/** A page of a listing API: its items and where the next page starts (null after the last). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The first `limit` items of a paged listing, asking for no more than it needs, `maxPage` at most per page. */
export async function firstItems<T>(
  limit: number,
  maxPage: number,
  fetchPage: (page: { cursor?: string; limit: number }) => Promise<Page<T>>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await fetchPage({
      limit: Math.min(maxPage, limit - items.length),
      ...(cursor ? { cursor } : {}),
    });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < limit);
  return items;
}
