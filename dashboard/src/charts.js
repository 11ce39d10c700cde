// The charts (TradingView lightweight-charts 5): candles with volume, market depth, an epoch's supply and
// demand curves, and time series. Each returns {set(...), dispose()}; charts size themselves to their
// container (autoSize), so they follow the layout on a phone.
import {
  AreaSeries,
  CandlestickSeries,
  HistogramSeries,
  LineSeries,
  LineType,
  createChart,
  createOptionsChart,
  createSeriesMarkers,
} from "lightweight-charts";
import { quoteValue } from "./format.js";

const UP = "#1a9850";
const DOWN = "#d73027";
const BLUE = "#2c7fb8";
const BASE = {
  autoSize: true,
  layout: { background: { color: "#ffffff" }, textColor: "#333" }, // keeps TradingView's attribution logo (its license)
  grid: { vertLines: { color: "#eee" }, horzLines: { color: "#eee" } },
};
const TIME_BASE = { ...BASE, timeScale: { timeVisible: true, secondsVisible: false } };

/** Candlesticks of a market's price (quote tokens per kWh) with its volume (kWh) as a histogram. */
export function candleChart(container) {
  const chart = createChart(container, TIME_BASE);
  const candles = chart.addSeries(CandlestickSeries, {
    upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN,
  });
  const volume = chart.addSeries(HistogramSeries, {
    priceScaleId: "volume", priceFormat: { type: "volume" }, color: "#9ecae1",
  });
  chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  candles.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.25 } });
  return {
    set(rows, decimals) {
      candles.applyOptions({ priceFormat: priceFormat(decimals) });
      rows = ascending(rows);
      candles.setData(rows.map((c) => ({
        time: c.time,
        open: quoteValue(c.open, decimals),
        high: quoteValue(c.high, decimals),
        low: quoteValue(c.low, decimals),
        close: quoteValue(c.close, decimals),
      })));
      volume.setData(rows.map((c) => ({
        time: c.time, value: c.volume_wh / 1000, color: c.close >= c.open ? "#a1d99b" : "#fcae91",
      })));
      chart.timeScale().fitContent();
    },
    dispose: () => chart.remove(),
  };
}

/** Market depth: cumulative kWh bid at or above / asked at or below each price (quote tokens per kWh). */
export function depthChart(container) {
  const chart = createOptionsChart(container, BASE);
  const bids = chart.addSeries(AreaSeries, {
    lineColor: UP, topColor: "rgba(26,152,80,0.4)", bottomColor: "rgba(26,152,80,0.05)",
    lineType: LineType.WithSteps, title: "bids",
  });
  const asks = chart.addSeries(AreaSeries, {
    lineColor: DOWN, topColor: "rgba(215,48,39,0.4)", bottomColor: "rgba(215,48,39,0.05)",
    lineType: LineType.WithSteps, title: "asks",
  });
  return {
    set(book, decimals) {
      chart.applyOptions({ localization: { precision: precision(decimals) } });
      bids.setData(cumulative([...book.bids].reverse(), decimals, -1));
      asks.setData(cumulative(book.asks, decimals, 1));
      chart.timeScale().fitContent();
    },
    dispose: () => chart.remove(),
  };
}

/** `levels` ordered by ascending price; direction 1 sums from the first, -1 from the last. */
function cumulative(levels, decimals, direction) {
  const points = ascending(levels.map((l) => ({ time: quoteValue(l.price, decimals), value: l.energy_wh / 1000 })));
  const order = direction === 1 ? points : [...points].reverse();
  let total = 0;
  for (const point of order) {
    total += point.value;
    point.value = total;
  }
  return points;
}

/** An epoch's demand (lots bid at or above a price) and supply (asked at or below) as step lines over the
 * price (quote tokens per kWh), in kWh, with the clearing point (price, cleared volume) marked. */
export function curveChart(container) {
  const chart = createOptionsChart(container, BASE);
  const demand = chart.addSeries(LineSeries, { color: UP, lineType: LineType.WithSteps, title: "demand" });
  const supply = chart.addSeries(LineSeries, { color: DOWN, lineType: LineType.WithSteps, title: "supply" });
  const point = chart.addSeries(LineSeries, {
    color: BLUE, lineVisible: false, pointMarkersVisible: true, pointMarkersRadius: 5,
    lastValueVisible: false, priceLineVisible: false, crosshairMarkerVisible: false,
  });
  const label = createSeriesMarkers(point, []);
  let clearingLine = null;
  return {
    set(levels, clearing, lotWh, decimals) {
      const kwh = (lots) => (lots * lotWh) / 1000;
      chart.applyOptions({ localization: { precision: precision(decimals) } });
      const curve = ascending(levels.map((l) => ({ ...l, time: quoteValue(l.price_per_kwh, decimals) })));
      demand.setData(curve.map((l) => ({ time: l.time, value: kwh(l.demand_lots) })));
      supply.setData(curve.map((l) => ({ time: l.time, value: kwh(l.supply_lots) })));
      if (clearingLine) point.removePriceLine(clearingLine);
      clearingLine = null;
      if (clearing && clearing.price !== null && clearing.price !== undefined) {
        const at = { time: quoteValue(clearing.price, decimals), value: kwh(clearing.volume_lots) };
        point.setData([at]);
        label.setMarkers([{ time: at.time, position: "aboveBar", shape: "circle", size: 0, color: BLUE,
          text: "clearing" }]);
        clearingLine = point.createPriceLine({ price: at.value, color: BLUE, lineStyle: 2, title: "cleared kWh" });
      } else {
        point.setData([]);
        label.setMarkers([]);
      }
      chart.timeScale().fitContent();
    },
    dispose: () => chart.remove(),
  };
}

/** Lines over time: `lines` are [key, title, color]; set(points) takes rows with `time` and those keys
 * (Wh, shown in kWh). */
export function timeSeriesChart(container, lines) {
  const chart = createChart(container, TIME_BASE);
  const series = lines.map(([key, title, color]) => [key, chart.addSeries(LineSeries, { color, title })]);
  return {
    set(points) {
      for (const [key, line] of series) {
        line.setData(ascending(points).map((p) => ({ time: p.time, value: (p[key] || 0) / 1000 })));
      }
      chart.timeScale().fitContent();
    },
    dispose: () => chart.remove(),
  };
}

/** Points sorted by `time` with one point per time (the last): what lightweight-charts requires. */
function ascending(points) {
  const byTime = new Map();
  for (const point of points) byTime.set(point.time, point);
  return [...byTime.values()].sort((a, b) => a.time - b.time);
}

/** Decimals shown for a price in quote tokens: at most 4 (atoms when the decimals are unknown). */
function precision(decimals) {
  return decimals === null || decimals === undefined ? 0 : Math.min(decimals, 4);
}

function priceFormat(decimals) {
  const digits = precision(decimals);
  return { type: "price", precision: digits, minMove: 10 ** -digits };
}
