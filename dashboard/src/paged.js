// A paginated API list on a page: the first page, then "Load more" (the API's next_cursor) adds the next;
// a live refresh re-reads from the start as many rows as were shown (up to the API's 1000).
import { get, items } from "./api.js";
import { el } from "./dom.js";

const MAX_LIMIT = 1000;

/** `params()` gives the query (filters); `render(rows, moreButton|null)` shows them. `testid` names the
 * button ("<testid>-more"). Returns {refresh()}: re-reads from the first row. */
export function pagedList(ctx, { key, path, params, pageSize = 100, testid, render }) {
  let rows = [];
  let request = 0;

  const read = (limit, cursor) => {
    const mine = ++request;
    return ctx.load(key, async () => {
      const answer = await get(path, { ...params(), limit, cursor });
      if (!ctx.alive || mine !== request) return; // a newer read (filter change, live refresh) won
      rows = cursor ? rows.concat(items(answer)) : items(answer);
      const next = answer.next_cursor ?? null;
      render(rows, next === null ? null : el("button", {
        type: "button", class: "more", testid: `${testid}-more`,
        onclick: () => read(pageSize, next),
      }, "Load more"));
    });
  };

  return { refresh: () => read(Math.min(Math.max(pageSize, rows.length), MAX_LIMIT), null) };
}
