import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { Feed } from "../src/feed.js";

class FakeSocket {
  static OPEN = 1;
  static all = [];
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.listeners = {};
    this.readyState = 0;
    FakeSocket.all.push(this);
  }
  addEventListener(type, fn) { this.listeners[type] = fn; }
  send(text) { this.sent.push(JSON.parse(text)); }
  open() { this.readyState = FakeSocket.OPEN; this.listeners.open(); }
  close(code = 1006) { this.readyState = 3; this.listeners.close({ code }); }
  frame(obj) { this.listeners.message({ data: JSON.stringify(obj) }); }
}

// A manual clock for the reconnect timers (node:test's mock.timers needs Node 20.4; Debian 12 has 18).
const clock = {
  now: 0,
  timers: [],
  tick(ms) {
    this.now += ms;
    for (const timer of this.timers.filter((t) => t.at <= this.now)) {
      this.timers.splice(this.timers.indexOf(timer), 1);
      timer.fn();
    }
  },
};
globalThis.setTimeout = (fn, ms) => {
  const timer = { fn, at: clock.now + ms };
  clock.timers.push(timer);
  return timer;
};
globalThis.clearTimeout = (timer) => {
  const i = clock.timers.indexOf(timer);
  if (i >= 0) clock.timers.splice(i, 1);
};

beforeEach(() => {
  clock.now = 0;
  clock.timers = [];
  FakeSocket.all = [];
  globalThis.WebSocket = FakeSocket;
  globalThis.location = { protocol: "http:", host: "127.0.0.1:8080", pathname: "/" };
});

test("connects to /feed of the page's origin and subscribes on open", () => {
  const states = [];
  const feed = new Feed({ onState: (s) => states.push(s) });
  const frames = [];
  const id = feed.subscribe({ trades: [1] }, (f) => frames.push(f));
  feed.connect();
  const socket = FakeSocket.all[0];
  assert.equal(socket.url, "ws://127.0.0.1:8080/feed");
  socket.open();
  assert.deepEqual(states, ["open"]);
  assert.deepEqual(socket.sent, [{ op: "subscribe", id, filter: { trades: [1] } }]);
  socket.frame({ type: "subscribed", id });
  socket.frame({ type: "trade", subscriptions: [id], trade: { price: 1 } });
  socket.frame({ type: "trade", subscriptions: ["other"], trade: { price: 2 } });
  assert.deepEqual(frames.map((f) => f.type), ["subscribed", "trade"]);
  feed.unsubscribe(id);
  assert.deepEqual(socket.sent.at(-1), { op: "unsubscribe", id });
});

test("feed errors and bad frames go to onError", () => {
  const errors = [];
  const feed = new Feed({ onError: (m) => errors.push(m) });
  feed.connect();
  FakeSocket.all[0].open();
  FakeSocket.all[0].frame({ type: "error", message: "unknown event 'X'" });
  FakeSocket.all[0].listeners.message({ data: "not json" });
  assert.deepEqual(errors, ["live feed: unknown event 'X'", "live feed: a frame that is not JSON"]);
});

test("reconnects with doubling backoff, resubscribes, and resets the backoff once open", () => {
  const states = [];
  const feed = new Feed({ onState: (s) => states.push(s) });
  const id = feed.subscribe({ certificates: true }, () => {});
  feed.connect();
  FakeSocket.all[0].close();
  assert.deepEqual(states, ["closed"]);
  clock.tick(499);
  assert.equal(FakeSocket.all.length, 1);
  clock.tick(1);
  assert.equal(FakeSocket.all.length, 2);
  FakeSocket.all[1].close();
  clock.tick(999);
  assert.equal(FakeSocket.all.length, 2);
  clock.tick(1);
  assert.equal(FakeSocket.all.length, 3);
  FakeSocket.all[2].open();
  assert.deepEqual(FakeSocket.all[2].sent, [{ op: "subscribe", id, filter: { certificates: true } }]);
  FakeSocket.all[2].close();
  clock.tick(500);
  assert.equal(FakeSocket.all.length, 4);
  assert.deepEqual(states, ["closed", "closed", "open", "closed"]);
});

test("the backoff stops growing at 15 s", () => {
  const feed = new Feed();
  feed.connect();
  for (let i = 0; i < 8; i += 1) {
    FakeSocket.all.at(-1).close();
    clock.tick(15000);
  }
  assert.equal(feed.backoff, 15000);
  assert.equal(FakeSocket.all.length, 9);
});

test("an API without a feed (close code 1011) is retried every 15 s", () => {
  const feed = new Feed();
  feed.connect();
  FakeSocket.all[0].close(1011);
  clock.tick(14999);
  assert.equal(FakeSocket.all.length, 1);
  clock.tick(1);
  assert.equal(FakeSocket.all.length, 2);
});

test("suspend closes without reconnecting; resume connects again and resubscribes", () => {
  const states = [];
  const feed = new Feed({ onState: (s) => states.push(s) });
  const id = feed.subscribe({ proposals: true }, () => {});
  feed.connect();
  FakeSocket.all[0].open();
  feed.suspend();
  assert.equal(FakeSocket.all[0].readyState, 3);
  clock.tick(60000);
  assert.equal(FakeSocket.all.length, 1);
  feed.resume();
  assert.equal(FakeSocket.all.length, 2);
  FakeSocket.all[1].open();
  assert.deepEqual(FakeSocket.all[1].sent, [{ op: "subscribe", id, filter: { proposals: true } }]);
  feed.resume(); // already connected: no second socket
  assert.equal(FakeSocket.all.length, 2);
  assert.deepEqual(states, ["open", "closed", "open"]);
});

test("suspend during a reconnect wait cancels the retry", () => {
  const feed = new Feed();
  feed.connect();
  FakeSocket.all[0].close();
  feed.suspend();
  clock.tick(60000);
  assert.equal(FakeSocket.all.length, 1);
  feed.resume();
  assert.equal(FakeSocket.all.length, 2);
});
