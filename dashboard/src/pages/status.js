// Status page (#/status): chain slot, indexed events, indexer checkpoints with their lag, the feed and its
// clients; polled every 2 s.
import { get } from "../api.js";
import { card, el, fields, table } from "../dom.js";
import { num, short, time } from "../format.js";

const POLL_MS = 2000;

export function mount(root, args, ctx) {
  const page = el("div", { class: "page", testid: "page-status" }, el("h1", {}, "Status"));
  const overview = card("Chain and indexer", "status-overview");
  const checkpoints = card("Indexer checkpoints", "status-checkpoints");
  overview.fill(el("p", { class: "note" }, "Loading…"));
  page.append(overview, checkpoints);
  root.append(page);

  const refresh = () => ctx.load("status", async () => {
    const s = await get("/status");
    if (!ctx.alive) return;
    const feed = s.feed || {};
    overview.fill(fields([
      ["Chain slot", s.chain_slot === null ? "unknown (no RPC)" : num(s.chain_slot), "status-chain-slot"],
      ["Indexed events", num(s.events), "status-events"],
      ["Last event", s.last_event ? `slot ${num(s.last_event.slot)}, ${time(s.last_event.block_time)}` : "none yet",
        "status-last-event"],
      ["Feed", `${feed.connected ? "connected" : "disconnected"} (${feed.url || "–"})`, "status-feed-connected"],
      ["Feed clients", feed.clients === null || feed.clients === undefined ? "–" : num(feed.clients),
        "status-feed-clients"],
      ["Dashboard connections", num(feed.relay_clients), "status-relay-clients"],
      ["Database", s.database, "status-database"],
      ["Server time", time(s.server_time), "status-server-time"],
    ]));
    checkpoints.fill(table({
      testid: "checkpoints-table",
      columns: [["Program"], ["Name"], ["Slot", "num"], ["Covered slot", "num"], ["Lag (slots)", "num"]],
      rows: (s.checkpoints || []).map((c) => ({
        testid: "checkpoint-row", dataset: { program: c.program },
        cells: [el("td", { class: "addr", title: c.program }, short(c.program)), c.name, num(c.slot),
          num(c.covered_slot), el("td", { class: "num", testid: "checkpoint-lag" }, num(c.lag_slots))],
      })),
      empty: "The indexer has no checkpoint yet.",
    }));
  });
  refresh().then((ok) => {
    if (!ok && ctx.alive) overview.fill(el("p", { class: "note" }, "The status could not be loaded."));
  });
  ctx.every(POLL_MS, refresh);
}
