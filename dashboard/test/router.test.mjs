import assert from "node:assert/strict";
import { test } from "node:test";
import { href, parse } from "../src/router.js";

test("hash routes name a page and its arguments", () => {
  assert.deepEqual(parse("#/market/3"), { page: "market", args: ["3"] });
  assert.deepEqual(parse("#/market/3/Mkt111"), { page: "market", args: ["3", "Mkt111"] });
  assert.deepEqual(parse("#/status"), { page: "status", args: [] });
  assert.deepEqual(parse("#/meters/"), { page: "meters", args: [] });
});

test("a malformed escape in the hash is kept as it is, not thrown", () => {
  assert.deepEqual(parse("#/market/%E0"), { page: "market", args: ["%E0"] });
  assert.deepEqual(parse("#/%E0/1"), { page: "market", args: [] });
});

test("an empty or unknown hash is the market page", () => {
  assert.deepEqual(parse(""), { page: "market", args: [] });
  assert.deepEqual(parse("#/nowhere/1"), { page: "market", args: [] });
});

test("href builds what parse reads", () => {
  assert.equal(href("market", 3), "#/market/3");
  assert.equal(href("market", 3, null), "#/market/3");
  assert.deepEqual(parse(href("market", 7, "Mkt 1")), { page: "market", args: ["7", "Mkt 1"] });
});
