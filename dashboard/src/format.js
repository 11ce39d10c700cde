// Display units: quote atoms at the market's quote_decimals, energy, CO2, GRID, times, addresses.

const NUMBER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });

/** A plain number with thousands separators and at most 3 decimals; "–" for null/undefined. */
export function num(value) {
  return value === null || value === undefined ? "–" : NUMBER.format(value);
}

/** Quote atoms as a decimal amount of the quote token (atoms when the decimals are unknown). */
export function quote(atoms, decimals) {
  if (atoms === null || atoms === undefined) return "–";
  if (decimals === null || decimals === undefined) return `${NUMBER.format(atoms)} atoms`;
  return quoteValue(atoms, decimals).toLocaleString("en-US", {
    maximumFractionDigits: Math.min(decimals, 9),
  });
}

/** Quote atoms as a number of quote tokens, for charts. */
export function quoteValue(atoms, decimals) {
  return decimals === null || decimals === undefined ? atoms : atoms / 10 ** decimals;
}

/** Energy in Wh, kWh, MWh or GWh. */
export function energy(wh) {
  if (wh === null || wh === undefined) return "–";
  const units = [["GWh", 1e9], ["MWh", 1e6], ["kWh", 1e3]];
  for (const [unit, size] of units) {
    if (Math.abs(wh) >= size) return `${NUMBER.format(wh / size)} ${unit}`;
  }
  return `${NUMBER.format(wh)} Wh`;
}

/** CO2 mass in g, kg or t. */
export function co2(grams) {
  if (grams === null || grams === undefined) return "–";
  if (Math.abs(grams) >= 1e6) return `${NUMBER.format(grams / 1e6)} t`;
  if (Math.abs(grams) >= 1e3) return `${NUMBER.format(grams / 1e3)} kg`;
  return `${NUMBER.format(grams)} g`;
}

/** Settled Wh as GRID (1 GRID = 1 kWh). */
export function grid(wh) {
  if (wh === null || wh === undefined) return "–";
  return `${(wh / 1000).toLocaleString("en-US", { maximumFractionDigits: 6 })} GRID`;
}

/** Unix seconds as "YYYY-MM-DD HH:MM:SS" (UTC). */
export function time(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  return new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19);
}

/** A base58 address shortened to its first and last 4 characters. */
export function short(address) {
  if (!address) return "–";
  return address.length > 12 ? `${address.slice(0, 4)}…${address.slice(-4)}` : address;
}

/** Basis points as a percentage. */
export function bps(value) {
  return value === null || value === undefined ? "–" : `${NUMBER.format(value / 100)} %`;
}
