// JSON helpers for the market data API (/api/v1 on the origin that served the page).

export class ApiError extends Error {}

/** GET /api/v1<path> with the query `params` (null/undefined/"" values left out); the parsed JSON.
 * Throws ApiError with a one-line message on a network failure or a non-2xx answer. */
export async function get(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(key, String(value));
  }
  const url = `api/v1${path}${query.toString() ? `?${query}` : ""}`;
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" } });
  } catch (error) {
    throw new ApiError(`API unreachable (${path}): ${error.message}`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // a non-JSON answer (a proxy's error page, an API that is not there): reported below
  }
  if (!response.ok) {
    const detail = body && typeof body.error === "string" ? body.error : response.statusText;
    throw new ApiError(`API ${response.status} on ${path}: ${detail}`);
  }
  if (body === null) throw new ApiError(`API answered ${path} with something other than JSON`);
  return body;
}

/** The items of a paginated list answer ({"items", "next_cursor"}) or of a plain list. */
export function items(answer) {
  if (Array.isArray(answer)) return answer;
  return answer && Array.isArray(answer.items) ? answer.items : [];
}
