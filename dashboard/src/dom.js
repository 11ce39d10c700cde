// Small DOM helpers shared by the pages: elements, tables with empty states, pickers, debouncing.

/** An element: `el("td", {class: "num", dataset: {testid: "x"}}, "text", child)`. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "testid") node.dataset.testid = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** A cell showing a shortened address with the full one as its title. */
export function addressCell(address, short) {
  return el("td", { class: "addr", title: address || "" }, short(address));
}

/** A scrollable table: `columns` are [header, className?]; `rows` are {cells, testid, dataset, onclick}.
 * Without rows it shows `empty` in one cell (data-testid "<testid>-empty"). */
export function table({ testid, columns, rows, empty }) {
  const head = el("thead", {}, el("tr", {}, columns.map(([title, cls]) => el("th", { class: cls }, title))));
  const body = el("tbody");
  if (rows.length === 0) {
    body.append(el("tr", {}, el("td", { class: "empty", colspan: columns.length, testid: `${testid}-empty` }, empty)));
  }
  for (const row of rows) {
    const cells = row.cells.map((cell, i) =>
      cell instanceof Node ? cell : el("td", { class: columns[i][1] }, cell),
    );
    body.append(
      el("tr", { testid: row.testid, dataset: row.dataset, class: row.class, onclick: row.onclick }, cells),
    );
  }
  return el("div", { class: "scroll" }, el("table", { testid }, head, body));
}

/** A <select> of [value, label] options calling `onchange(value)`. */
export function picker({ testid, label, options, value, onchange }) {
  const select = el(
    "select",
    { testid, "aria-label": label, onchange: (e) => onchange(e.target.value) },
    options.map(([v, text]) => el("option", { value: v, selected: String(v) === String(value) }, text)),
  );
  return el("label", { class: "picker" }, `${label} `, select);
}

/** A titled card whose body is replaced by `card.fill(...nodes)`. */
export function card(title, testid) {
  const body = el("div", { class: "card-body" });
  const node = el("section", { class: "card", testid }, el("h2", {}, title), body);
  node.fill = (...nodes) => body.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined));
  return node;
}

/** A key/value list; `fields` are [label, value, testid]. */
export function fields(list) {
  return el(
    "dl",
    { class: "fields" },
    list.map(([label, value, testid]) => el("div", {}, el("dt", {}, label), el("dd", { testid }, value))),
  );
}

/** `fn` delayed until `ms` without a new call; `.cancel()` drops a pending call. */
export function debounce(fn, ms = 250) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}
