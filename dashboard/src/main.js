// The dashboard's entry: the live feed, the banner, the collapsible nav and the hash router that mounts
// one page at a time.
import { Banner } from "./banner.js";
import { Feed } from "./feed.js";
import { PageContext } from "./page.js";
import { parse } from "./router.js";
import * as market from "./pages/market.js";
import * as meters from "./pages/meters.js";
import * as certificates from "./pages/certificates.js";
import * as governance from "./pages/governance.js";
import * as status from "./pages/status.js";

const PAGES = { market, meters, certificates, governance, status };

const banner = new Banner(document.querySelector('[data-testid="error-banner"]'));
const indicator = document.querySelector('[data-testid="live-indicator"]');
const feed = new Feed({
  onState: (state) => {
    if (state === "open") banner.clear("feed");
    indicator.dataset.state = state;
    indicator.title = state === "open" ? "Live feed connected" : "Live feed disconnected (retrying)";
  },
  onError: (message) => banner.set("feed", message),
});

const nav = document.querySelector('[data-testid="nav"]');
const toggle = document.querySelector('[data-testid="nav-toggle"]');
toggle.addEventListener("click", () => {
  const open = !nav.classList.contains("open");
  nav.classList.toggle("open", open);
  toggle.setAttribute("aria-expanded", String(open));
});

const root = document.querySelector('[data-testid="page"]');
let current = null;

function route() {
  const { page, args } = parse(location.hash);
  if (current) current.dispose();
  banner.clearAllBut("feed");
  nav.classList.remove("open");
  toggle.setAttribute("aria-expanded", "false");
  for (const link of nav.querySelectorAll("a")) {
    link.classList.toggle("active", link.dataset.route === page);
  }
  current = new PageContext({ feed, banner, remount: route });
  root.replaceChildren();
  PAGES[page].mount(root, args, current);
}

window.addEventListener("hashchange", route);
// A page the browser keeps in its back/forward cache holds no feed connection: closed when the page is
// hidden, opened again (and each subscription re-read) when it is shown from the cache.
window.addEventListener("pagehide", () => feed.suspend());
window.addEventListener("pageshow", (event) => { if (event.persisted) feed.resume(); });
route();
feed.connect();
