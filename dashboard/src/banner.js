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

  clearAll() {
    this.messages.clear();
    this.render();
  }

  render() {
    const latest = [...this.messages.values()].pop();
    this.node.hidden = latest === undefined;
    this.node.textContent = latest || "";
  }
}
