import assert from "node:assert/strict";
import { test } from "node:test";
import { bps, co2, energy, grid, num, quote, short, time } from "../src/format.js";

test("quote atoms are shown at the market's decimals, atoms when unknown", () => {
  assert.equal(quote(150000, 6), "0.15");
  assert.equal(quote(1234567890, 6), "1,234.56789");
  assert.equal(quote(5, 0), "5");
  assert.equal(quote(1500, null), "1,500 atoms");
  assert.equal(quote(null, 6), "–");
});

test("energy picks Wh, kWh, MWh or GWh", () => {
  assert.equal(energy(0), "0 Wh");
  assert.equal(energy(999), "999 Wh");
  assert.equal(energy(1500), "1.5 kWh");
  assert.equal(energy(2_500_000), "2.5 MWh");
  assert.equal(energy(3e9), "3 GWh");
  assert.equal(energy(undefined), "–");
});

test("CO2 picks g, kg or t; GRID is kWh", () => {
  assert.equal(co2(400), "400 g");
  assert.equal(co2(4000), "4 kg");
  assert.equal(co2(2_500_000), "2.5 t");
  assert.equal(grid(1500), "1.5 GRID");
  assert.equal(grid(1), "0.001 GRID");
});

test("times are UTC, addresses shortened, basis points as percent", () => {
  assert.equal(time(0), "1970-01-01 00:00:00");
  assert.equal(time(null), "–");
  assert.equal(short("So11111111111111111111111111111111111111112"), "So11…1112");
  assert.equal(short("abc"), "abc");
  assert.equal(bps(25), "0.25 %");
  assert.equal(num(1234.5678), "1,234.568");
});
