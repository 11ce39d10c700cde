// Hash routes: #/market/<zone>[/<market>], #/meters, #/certificates, #/governance, #/status.

export const PAGES = ["market", "meters", "certificates", "governance", "status"];

/** A hash segment decoded; a malformed escape (`%E0`) is kept as it is rather than thrown. */
function decoded(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The page and its arguments of a location hash; unknown or empty hashes are the market page. */
export function parse(hash) {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decoded);
  const page = PAGES.includes(parts[0]) ? parts[0] : "market";
  return { page, args: PAGES.includes(parts[0]) ? parts.slice(1) : [] };
}

/** The hash of a page and its arguments. */
export function href(page, ...args) {
  return `#/${[page, ...args.filter((a) => a !== null && a !== undefined)].map(encodeURIComponent).join("/")}`;
}
