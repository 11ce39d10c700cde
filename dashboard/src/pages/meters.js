// Meters page (#/meters): production, consumption and settlement over time for a zone or one meter, the
// meters with what they produced, consumed and settled (as GRID), and the latest settlements.
import { get, items } from "../api.js";
import { timeSeriesChart } from "../charts.js";
import { addressCell, card, debounce, el, fields, picker, table } from "../dom.js";
import { pagedList } from "../paged.js";
import { energy, grid, num, short } from "../format.js";

const INTERVALS = ["15m", "1h", "1d"];
/** How many intervals the chart shows, up to the newest reading: a day, a week, a quarter. */
const POINTS = { "15m": 96, "1h": 168, "1d": 90 };
const LIVE_EVENTS = ["ReadingAccepted", "MeterSettled", "GridMinted"];

export function mount(root, args, ctx) {
  const state = { zone: "", meter: "", interval: "1h" };
  const page = el("div", { class: "page", testid: "page-meters" }, el("h1", {}, "Meters"));
  const toolbar = el("div", { class: "toolbar" });
  const totals = el("div", { testid: "meters-totals" });
  const seriesCard = card("Production and consumption", "production");
  const chartBox = el("div", { class: "chart tall", testid: "production-chart" });
  const chartNote = el("p", { class: "note", testid: "production-empty", hidden: true }, "No reading yet.");
  const chart = ctx.keep(timeSeriesChart(chartBox, [
    ["production_wh", "produced kWh", "#1a9850"],
    ["consumption_wh", "consumed kWh", "#d73027"],
    ["settled_wh", "settled kWh", "#2c7fb8"],
  ]));
  seriesCard.fill(chartNote, chartBox);
  const metersCard = card("Meters", "meters");
  const settlementsCard = card("Latest settlements", "settlements");
  page.append(toolbar, totals, seriesCard, metersCard, settlementsCard);
  root.append(page);

  const renderToolbar = (zones) => toolbar.replaceChildren(...[
    picker({
      testid: "meters-zone", label: "Zone",
      options: [["", "all zones"], ...zones.map((z) => [z.zone_id, `${z.zone_id} · ${z.name}`])],
      value: state.zone, onchange: (value) => { state.zone = value; state.meter = ""; refreshAll(); },
    }),
    picker({
      testid: "meters-interval", label: "Interval", options: INTERVALS.map((i) => [i, i]),
      value: state.interval, onchange: (value) => { state.interval = value; refreshSeries(); },
    }),
    state.meter ? el("button", {
      type: "button", testid: "meters-clear-meter",
      onclick: () => { state.meter = ""; refreshAll(); },
    }, `meter ${short(state.meter)} ×`) : null,
  ].filter(Boolean));
  let zones = [];
  const refreshZones = () => ctx.load("zones", async () => {
    zones = items(await get("/zones"));
    if (ctx.alive) renderToolbar(zones);
  });

  const refreshSeries = () => ctx.load("production", async () => {
    const answer = await get("/production", {
      zone: state.zone, meter: state.meter, interval: state.interval, points: POINTS[state.interval],
    });
    if (!ctx.alive) return;
    chartNote.hidden = answer.series.length > 0;
    chart.set(answer.series);
    seriesCard.querySelector("h2").textContent = state.meter
      ? `Production and consumption of meter ${short(state.meter)}`
      : `Production and consumption${state.zone === "" ? "" : ` in zone ${state.zone}`}`;
  });

  const meters = pagedList(ctx, {
    key: "meters", path: "/meters", params: () => ({ zone: state.zone }), pageSize: 1000, testid: "meters-table",
    render: (list, more) => {
      const sum = (key) => list.reduce((total, m) => total + (m[key] || 0), 0);
      totals.replaceChildren(fields([
        [more ? "Meters (shown)" : "Meters", num(list.length), "meters-count"],
        ["Produced", energy(sum("produced_wh")), "meters-produced"],
        ["Consumed", energy(sum("consumed_wh")), "meters-consumed"],
        ["Settled", grid(sum("settled_wh")), "meters-settled-grid"],
      ]));
      metersCard.fill(table({
        testid: "meters-table",
        columns: [["Serial"], ["Meter"], ["Owner"], ["Zone", "num"], ["Source"], ["Status"],
          ["Produced", "num"], ["Consumed", "num"], ["Settled", "num"], ["GRID", "num"]],
        rows: list.map((m) => ({
          testid: "meter-row", class: m.address === state.meter ? "selected" : "clickable",
          dataset: { meter: m.address },
          onclick: () => { state.meter = m.address; refreshAll(); },
          cells: [m.serial, addressCell(m.address, short), addressCell(m.owner, short), m.zone_id, m.source,
            m.status, energy(m.produced_wh), energy(m.consumed_wh), energy(m.settled_wh), grid(m.settled_wh)],
        })),
        empty: "No meter registered yet.",
      }), more);
    },
  });
  const refreshMeters = meters.refresh;

  const refreshSettlements = () => ctx.load("settlements", async () => {
    const list = items(await get("/settlements", { zone: state.zone, meter: state.meter, limit: 20 }));
    if (!ctx.alive) return;
    settlementsCard.fill(table({
      testid: "settlements-table",
      columns: [["Slot", "num"], ["Meter"], ["Owner"], ["Settled", "num"], ["GRID", "num"],
        ["Meter total", "num"]],
      rows: list.map((s) => ({
        testid: "settlement-row", dataset: { signature: s.signature },
        cells: [num(s.slot), addressCell(s.meter, short), addressCell(s.owner, short), energy(s.amount_wh),
          grid(s.amount_wh), energy(s.settled_wh)],
      })),
      empty: "Nothing settled yet.",
    }));
  });

  const refreshAll = () => {
    renderToolbar(zones);
    refreshSeries();
    refreshMeters();
    refreshSettlements();
  };
  const onEvent = ctx.keep(debounce(() => { refreshSeries(); refreshMeters(); refreshSettlements(); }));
  ctx.subscribe({ event: LIVE_EVENTS }, onEvent);
  ctx.onEvents(["ZoneCreated"], refreshZones); // the zone picker lists a zone created while it is open
  refreshZones();
  refreshAll();
}

