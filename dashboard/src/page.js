// What a mounted page gets: its loads report errors to the banner, its feed subscriptions, timers and
// charts are released when the route changes.
import { ApiError } from "./api.js";
import { debounce } from "./dom.js";

export class PageContext {
  /** `remount()` mounts the current route's page afresh (the router's). */
  constructor({ feed, banner, remount = () => {} }) {
    this.feed = feed;
    this.banner = banner;
    this.remount = remount;
    this.alive = true;
    this.cleanups = [];
  }

  /** Runs `fn` (async); an error shows in the banner under `key`, a success clears that key. Returns
   * whether it succeeded. */
  async load(key, fn) {
    try {
      await fn();
      if (this.alive) this.banner.clear(key);
      return true;
    } catch (error) {
      if (this.alive) this.banner.set(key, error instanceof ApiError ? error.message : `${key}: ${error}`);
      return false;
    }
  }

  subscribe(filter, handler) {
    const id = this.feed.subscribe(filter, (frame) => this.alive && handler(frame));
    this.cleanups.push(() => this.feed.unsubscribe(id));
  }

  /** Calls `fn` (debounced) when one of `events` (IDL event names) is indexed, and on the feed's
   * acknowledgement of the subscription (an event indexed before it took, or while the connection was
   * down, is then read too). */
  onEvents(events, fn) {
    const debounced = this.keep(debounce(fn));
    this.subscribe({ event: events }, (frame) => {
      if (frame.type === "event" || frame.type === "subscribed") debounced();
    });
  }

  every(ms, fn) {
    const timer = setInterval(fn, ms);
    this.cleanups.push(() => clearInterval(timer));
  }

  /** Keeps `thing` (a chart, a debounced function) until the page goes: its dispose() or cancel() then. */
  keep(thing) {
    this.cleanups.push(() => (thing.dispose ? thing.dispose() : thing.cancel()));
    return thing;
  }

  dispose() {
    this.alive = false;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}
