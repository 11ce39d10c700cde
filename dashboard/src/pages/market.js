// Market page (#/market/<zone>[/<market>]): a zone's markets; per market the book (depth chart and
// table), the last trades, price candles with volume, and for a periodic market its epochs with the
// selected epoch's supply and demand curves.
import { get, items } from "../api.js";
import { candleChart, curveChart, depthChart } from "../charts.js";
import { addressCell, card, debounce, el, fields, picker, table } from "../dom.js";
import { bps, energy, num, quote, short, time } from "../format.js";
import { href } from "../router.js";

const INTERVALS = ["15m", "1h", "4h", "1d"];

export function mount(root, args, ctx) {
  const page = el("div", { class: "page", testid: "page-market" }, el("h1", {}, "Market"));
  const body = el("div", {}, el("p", { class: "note" }, "Loading…"));
  page.append(body);
  root.append(page);
  let shown = null; // the zones and their markets the page was built from
  const loaded = ctx.load("zones", async () => {
    const zones = items(await get("/zones"));
    if (!ctx.alive) return;
    shown = listing(zones);
    if (zones.length === 0) {
      body.replaceChildren(el("p", { class: "empty", testid: "market-empty" },
        "No grid zone indexed yet: the market appears here once a zone and its market are on chain."));
      return;
    }
    const zone = zones.find((z) => String(z.zone_id) === args[0]) || zones[0];
    body.replaceChildren();
    showZone(body, zones, zone, args[1], ctx);
  });
  loaded.then((ok) => {
    if (!ok && ctx.alive) {
      body.replaceChildren(el("p", { class: "note" }, "The market could not be loaded."));
    }
  });
  // a zone or market created while the page is open (or before its subscription took): the page is
  // mounted again on its route, so that the pickers list it
  ctx.onEvents(["ZoneCreated", "MarketCreated"], () => ctx.load("zones", async () => {
    await loaded;
    const zones = items(await get("/zones"));
    if (ctx.alive && shown !== null && listing(zones) !== shown) ctx.remount();
  }));
}

/** The zones and their markets, comparable (`/zones` lists each zone's markets). */
function listing(zones) {
  return JSON.stringify(zones.map((z) => [z.zone_id, [...z.markets].sort()]));
}

function showZone(body, zones, zone, marketArg, ctx) {
  const zoneInfo = el("div", { class: "zone-info", testid: "zone-info" });
  body.append(
    el("div", { class: "toolbar" }, picker({
      testid: "zone-picker", label: "Zone",
      options: zones.map((z) => [z.zone_id, `${z.zone_id} · ${z.name}`]),
      value: zone.zone_id,
      onchange: (value) => { location.hash = href("market", value); },
    })),
    zoneInfo,
  );
  const view = el("div", {}, el("p", { class: "note" }, "Loading…"));
  body.append(view);
  let market = null; // the view of the selected market, once built

  const renderZone = (z) => zoneInfo.replaceChildren(fields([
    ["Zone", `${z.zone_id} · ${z.name}`, "zone-name"],
    ["Status", z.status, "zone-status"],
    ["Capacity", `${num(z.max_capacity_kw)} kW`],
    ["Emission factor", z.emission_factor === null ? "–" : `${z.emission_factor} g CO2/kWh`],
    ["Paused", z.paused_names && z.paused_names.length ? z.paused_names.join(", ") : "nothing", "zone-paused"],
  ]));
  renderZone(zone);

  const refreshBook = () => ctx.load("book", async () => {
    const answer = await get(`/zones/${zone.zone_id}/book`, { depth: 20, trades: 50 });
    if (!ctx.alive) return;
    if (answer.markets.length === 0) {
      view.replaceChildren(el("p", { class: "empty", testid: "market-empty" },
        "No market in this zone yet."));
      return;
    }
    if (market === null) {
      const chosen = answer.markets.find((m) => m.market.address === marketArg) || answer.markets[0];
      market = marketView(chosen.market, answer.markets, zone, ctx);
      view.replaceChildren(market.node);
    }
    const entry = answer.markets.find((m) => m.market.address === market.address);
    if (entry) market.showBook(entry);
  });
  const refreshZone = () => ctx.load("zone", async () => {
    const z = await get(`/zones/${zone.zone_id}`);
    if (ctx.alive) renderZone(z);
  });

  const onBook = ctx.keep(debounce(refreshBook));
  const onCandles = ctx.keep(debounce(() => market && market.refreshCandles()));
  const onAuction = ctx.keep(debounce(() => market && market.refreshEpochs()));
  const onPause = ctx.keep(debounce(refreshZone));
  const scope = [zone.zone_id];
  ctx.subscribe({ trades: scope, book: scope, auctions: scope, pauses: scope }, (frame) => {
    if (frame.type === "trade") { onBook(); onCandles(); }
    if (frame.type === "book") onBook();
    if (frame.type === "auction") { onBook(); onAuction(); onCandles(); }
    if (frame.type === "pause") onPause();
    if (frame.type === "subscribed") { onBook(); onCandles(); onAuction(); onPause(); }
  });
  refreshBook().then((ok) => {
    if (!ok && ctx.alive && market === null) {
      view.replaceChildren(el("p", { class: "note" }, "The zone's markets could not be loaded."));
    }
  });
}

function marketView(m, all, zone, ctx) {
  const decimals = m.quote_decimals;
  const periodic = m.mode === "periodic";
  const node = el("div", { class: "market", testid: "market-view", dataset: { market: m.address, mode: m.mode } });
  if (all.length > 1) {
    node.append(el("div", { class: "toolbar" }, picker({
      testid: "market-picker", label: "Market",
      options: all.map(({ market: x }) => [x.address, `${x.mode} · ${short(x.address)}`]),
      value: m.address,
      onchange: (value) => { location.hash = href("market", zone.zone_id, value); },
    })));
  }
  node.append(fields([
    ["Market", el("span", { title: m.address }, short(m.address)), "market-address"],
    ["Mode", periodic ? `periodic (${m.epoch_secs} s epochs)` : "continuous", "market-mode"],
    ["Status", m.status, "market-status"],
    ["Lot", energy(m.lot_size_wh)],
    ["Tick", `${quote(m.tick_size, decimals)} per kWh`],
    ["Fees", `maker ${bps(m.maker_fee_bps)}, taker ${bps(m.taker_fee_bps)}`],
  ]));

  const bookCard = card(periodic ? "Orders waiting in the collecting epoch" : "Order book", "market-book");
  const depthBox = el("div", { class: "chart", testid: "depth-chart" });
  const depth = periodic ? null : ctx.keep(depthChart(depthBox));
  const bookTable = el("div");
  bookCard.fill(depth ? depthBox : null, bookTable);
  const tradesCard = card("Last trades", "market-trades");

  let interval = "1h";
  const candleBox = el("div", { class: "chart tall", testid: "candle-chart" });
  const candles = ctx.keep(candleChart(candleBox));
  const candleNote = el("p", { class: "note", testid: "candle-empty", hidden: true }, "No trade in this range yet.");
  const priceCard = card("Price and volume", "market-price");
  priceCard.fill(
    el("div", { class: "toolbar" }, picker({
      testid: "candle-interval", label: "Interval", options: INTERVALS.map((i) => [i, i]), value: interval,
      onchange: (value) => { interval = value; refreshCandles(); },
    })),
    candleNote,
    candleBox,
  );
  node.append(bookCard, tradesCard, priceCard);

  const refreshCandles = () => ctx.load("candles", async () => {
    const answer = await get(`/markets/${m.address}/candles`, { interval });
    if (!ctx.alive) return;
    candleNote.hidden = answer.candles.length > 0;
    candles.set(answer.candles, decimals);
  });
  refreshCandles();

  const epochs = periodic ? epochsView(m, ctx) : null;
  if (epochs) node.append(epochs.node);

  function showBook(entry) {
    const { book, last_trades: trades } = entry;
    if (depth) depth.set(book, decimals);
    const level = (side) => (l) => ({
      testid: "book-row", class: side, dataset: { side, price: l.price },
      cells: [side, quote(l.price, decimals), energy(l.energy_wh), num(l.lots), num(l.orders)],
    });
    bookTable.replaceChildren(table({
      testid: "book-table",
      columns: [["Side"], ["Price / kWh", "num"], ["Energy", "num"], ["Lots", "num"], ["Orders", "num"]],
      rows: [...[...book.asks].reverse().map(level("ask")), ...book.bids.map(level("bid"))],
      empty: "The book is empty.",
    }));
    tradesCard.fill(table({
      testid: "trades-table",
      columns: [["Time"], ["Side"], ["Price / kWh", "num"], ["Energy", "num"], ["Amount", "num"],
        ["Maker"], ["Taker"]],
      rows: trades.map((t) => {
        const side = t.taker_side || (t.maker_side === "Bid" ? "Ask" : "Bid");
        return {
          testid: "trade-row", class: side.toLowerCase(), dataset: { signature: t.signature },
          cells: [time(t.timestamp), t.epoch === null ? side : `auction ${t.epoch}`,
            quote(t.price, decimals), energy(t.energy_wh), quote(t.quote_amount, decimals),
            addressCell(t.maker, short), addressCell(t.taker, short)],
        };
      }),
      empty: "No trade yet.",
    }));
  }

  return {
    node, address: m.address, showBook, refreshCandles,
    refreshEpochs: () => epochs && epochs.refresh(),
  };
}

function epochsView(m, ctx) {
  const decimals = m.quote_decimals;
  const listCard = card("Epochs", "epoch-list");
  const curveCard = card("Supply and demand", "epoch-curves");
  const curveBox = el("div", { class: "chart", testid: "epoch-curve-chart" });
  const curve = ctx.keep(curveChart(curveBox));
  const caption = el("p", { class: "note", testid: "epoch-clearing" });
  curveCard.fill(caption, curveBox);
  let selected = null;
  let rows = [];

  const showList = () => listCard.fill(table({
    testid: "epochs-table",
    columns: [["Epoch", "num"], ["Gate closure"], ["State"], ["Price / kWh", "num"], ["Volume", "num"],
      ["Orders", "num"]],
    rows: rows.map((e) => ({
      testid: "epoch-row", class: e.epoch === selected ? "selected" : "clickable",
      dataset: { epoch: e.epoch, state: e.state },
      onclick: () => { selected = e.epoch; showList(); showEpoch(); },
      cells: [num(e.epoch), time(e.ends_at), e.state, quote(e.price_per_kwh, decimals), energy(e.volume_wh),
        num(e.placed_orders)],
    })),
    empty: "No epoch yet.",
  }));

  const showEpoch = () => ctx.load("epoch", async () => {
    if (selected === null) {
      caption.textContent = "No epoch yet.";
      curve.set([], null, m.lot_size_wh, decimals);
      return;
    }
    const e = await get(`/markets/${m.address}/epochs/${selected}`);
    if (!ctx.alive || e.epoch !== selected) return;
    const lotWh = e.lot_size_wh || m.lot_size_wh;
    curve.set(e.levels, e.clearing, lotWh, decimals);
    curveCard.querySelector("h2").textContent = `Supply and demand of epoch ${e.epoch}`;
    caption.textContent = e.clearing
      ? `Cleared at ${quote(e.clearing.price ?? e.price_per_kwh, decimals)} per kWh, `
        + `${energy(e.clearing.volume_lots * lotWh)} (${e.state})`
      : `${e.state}: not cleared yet; ${e.levels.length} price level(s).`;
  });

  const refresh = () => ctx.load("epochs", async () => {
    const answer = await get(`/markets/${m.address}/epochs`, { limit: 20 });
    if (!ctx.alive) return;
    rows = items(answer);
    if (selected === null || !rows.some((e) => e.epoch === selected)) {
      const cleared = rows.find((e) => e.state !== "Collecting");
      selected = (cleared || rows[0] || { epoch: null }).epoch;
    }
    showList();
    await showEpoch();
  });
  refresh();
  return { node: el("div", {}, listCard, curveCard), refresh };
}
