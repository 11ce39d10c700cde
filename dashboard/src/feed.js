// The live feed: one websocket to /feed on the page's origin (the API relays the indexer's feed; protocol
// in docs/indexer.md). Subscriptions survive reconnects (re-sent on every open); the connection is
// retried with exponential backoff (0.5 s doubling to 15 s) whenever it closes (every 15 s when the API
// has no feed configured).

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 15000;
const NO_FEED = 1011; // the API's close code when it has no feed to relay: retry at the slowest pace

export class Feed {
  /** `onState(state)` is called with "open" or "closed"; `onError(message)` with a feed error line. */
  constructor({ onState = () => {}, onError = () => {} } = {}) {
    this.onState = onState;
    this.onError = onError;
    this.handlers = new Map(); // subscription id -> {filter, handler}
    this.nextId = 1;
    this.backoff = MIN_BACKOFF_MS;
    this.socket = null;
    this.timer = null;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const base = location.pathname.replace(/[^/]*$/, "");
    return `${scheme}//${location.host}${base}feed`;
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.backoff = MIN_BACKOFF_MS;
      this.onState("open");
      for (const [id, { filter }] of this.handlers) this.send({ op: "subscribe", id, filter });
    });
    socket.addEventListener("message", (message) => this.receive(message.data));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.onState("closed");
      if (event && event.code === NO_FEED) this.backoff = MAX_BACKOFF_MS;
      this.timer = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    });
  }

  /** Closes the connection and retries nothing until `resume()` (a page going into the back/forward
   * cache keeps no connection open). */
  suspend() {
    clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null; // its close event then schedules no reconnect
    if (socket) {
      socket.close();
      this.onState("closed");
    }
  }

  /** Connects again after `suspend()` (the page is shown again): the subscriptions are re-sent on open,
   * and their handlers re-read on the server's acknowledgement. */
  resume() {
    if (!this.socket && !this.timer) {
      this.backoff = MIN_BACKOFF_MS;
      this.connect();
    }
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      this.onError("live feed: a frame that is not JSON");
      return;
    }
    if (frame.type === "error") {
      this.onError(`live feed: ${frame.message}`);
      return;
    }
    if (frame.type === "subscribed") {
      // the subscription is in place (again, after a reconnect): what the page reads from now on
      // misses no frame, so its handler re-reads
      const entry = this.handlers.get(String(frame.id));
      if (entry) entry.handler(frame);
      return;
    }
    for (const id of frame.subscriptions || []) {
      const entry = this.handlers.get(String(id));
      if (entry) entry.handler(frame);
    }
  }

  /** Subscribes `filter` (feed protocol topics); `handler(frame)` gets its frames, and the server's
   * {"type": "subscribed"} acknowledgement on every (re)subscription. Returns the id. */
  subscribe(filter, handler) {
    const id = `s${this.nextId++}`;
    this.handlers.set(id, { filter, handler });
    this.send({ op: "subscribe", id, filter });
    return id;
  }

  unsubscribe(id) {
    if (this.handlers.delete(id)) this.send({ op: "unsubscribe", id });
  }
}
