// The one-line error banner: each source (an API load, the feed) sets or clears its own message; the
// banner shows the latest one still set.

export class Banner {
  constructor(node) {
    this.node = node;
    this.messages = new Map();
  }

  set(source, message) {
    this.messages.delete(source);
    this.messages.set(source, message);
    this.render();
  }

  clear(source) {
    if (this.messages.delete(source)) this.render();
  }

  /** Clears every source but `keep` (e.g. the feed's, which outlives a page). */
  clearAllBut(keep) {
    for (const source of [...this.messages.keys()]) {
      if (source !== keep) this.messages.delete(source);
    }
    this.render();
  }

  render() {
    const latest = [...this.messages.values()].pop();
    this.node.hidden = latest === undefined;
    this.node.textContent = latest || "";
  }
}
