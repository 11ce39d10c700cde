// Certificates page (#/certificates): CO2 avoided per zone and per owner (the carbon_credits view), the
// certificates with their status and owner, the transfers (from whom to whom) and the retirements with
// their beneficiaries.
import { get, items } from "../api.js";
import { addressCell, card, debounce, el, picker, table } from "../dom.js";
import { pagedList } from "../paged.js";
import { co2, energy, num, short, time } from "../format.js";

const STATUSES = ["", "Pending", "Valid", "Retired", "Revoked", "Expired"];

export function mount(root, args, ctx) {
  const state = { status: "" };
  const page = el("div", { class: "page", testid: "page-certificates" }, el("h1", {}, "Certificates"));
  const zoneCard = card("CO2 avoided per zone", "co2-by-zone");
  const ownerCard = card("CO2 avoided per owner", "co2-by-owner");
  const certCard = card("Certificates", "certificates");
  const transferCard = card("Transfers", "transfers");
  const retireCard = card("Retirements", "retirements");
  const toolbar = el("div", { class: "toolbar" }, picker({
    testid: "certificates-status", label: "Status",
    options: STATUSES.map((s) => [s, s || "all"]), value: state.status,
    onchange: (value) => { state.status = value; refreshCertificates(); },
  }));
  page.append(el("div", { class: "pair" }, zoneCard, ownerCard), toolbar, certCard, transferCard, retireCard);
  root.append(page);

  const creditColumns = (first) => [[first], ["Held", "num"], ["Retired", "num"], ["Held energy", "num"],
    ["Retired energy", "num"], ["Certificates", "num"]];
  const creditCells = (r) => [co2(r.held_co2_g), co2(r.retired_co2_g), energy(r.held_wh),
    energy(r.retired_wh), num(r.certificates)];

  const refreshCredits = () => ctx.load("carbon-credits", async () => {
    const [byZone, byOwner] = await Promise.all([
      get("/carbon-credits", { group_by: "zone" }),
      get("/carbon-credits", { group_by: "owner" }),
    ]);
    if (!ctx.alive) return;
    zoneCard.fill(table({
      testid: "co2-zone-table", columns: creditColumns("Zone"),
      rows: items(byZone).map((r) => ({
        testid: "co2-zone-row", dataset: { zone: r.zone_id }, cells: [num(r.zone_id), ...creditCells(r)],
      })),
      empty: "No CO2 avoided yet.",
    }));
    ownerCard.fill(table({
      testid: "co2-owner-table", columns: creditColumns("Owner"),
      rows: items(byOwner).map((r) => ({
        testid: "co2-owner-row", dataset: { owner: r.owner }, cells: [addressCell(r.owner, short), ...creditCells(r)],
      })),
      empty: "No CO2 avoided yet.",
    }));
  });

  const certificates = pagedList(ctx, {
    key: "certificates", path: "/certificates", params: () => ({ status: state.status }),
    testid: "certificates-table",
    render: (list, more) => certCard.fill(table({
      testid: "certificates-table",
      columns: [["Certificate"], ["Zone", "num"], ["Meter"], ["Owner"], ["Status"], ["Energy", "num"],
        ["CO2 avoided", "num"], ["Generated"], ["Issued"], ["Expires"]],
      rows: list.map((c) => ({
        testid: "certificate-row", dataset: { certificate: c.address, status: c.effective_status || c.status },
        cells: [addressCell(c.address, short), num(c.zone_id), addressCell(c.meter, short),
          addressCell(c.owner, short),
          c.effective_status && c.effective_status !== c.status ? `${c.status} (${c.effective_status})` : c.status,
          energy(c.volume_wh), co2(c.co2_avoided_g), `${time(c.generation_start)} – ${time(c.generation_end)}`,
          time(c.issued_at), time(c.expires_at)],
      })),
      empty: "No certificate yet.",
    }), more),
  });
  const refreshCertificates = certificates.refresh;

  // A transfer's row (certificate-events?change=transferred): previous_owner sent it, owner received it;
  // the volume and CO2 are the certificate's after it (a transfer moves the whole certificate).
  const transfers = pagedList(ctx, {
    key: "transfers", path: "/certificate-events", params: () => ({ change: "transferred" }),
    testid: "transfers-table",
    render: (list, more) => transferCard.fill(table({
      testid: "transfers-table",
      columns: [["Time"], ["Certificate"], ["From"], ["To"], ["Energy", "num"], ["CO2 avoided", "num"]],
      rows: list.map((t) => ({
        testid: "transfer-row", dataset: { certificate: t.certificate, from: t.previous_owner, to: t.owner },
        cells: [time(t.timestamp), addressCell(t.certificate, short), addressCell(t.previous_owner, short),
          addressCell(t.owner, short), energy(t.volume_wh), co2(t.co2_avoided_g)],
      })),
      empty: "No certificate transferred yet.",
    }), more),
  });
  const refreshTransfers = transfers.refresh;

  const retirements = pagedList(ctx, {
    key: "retirements", path: "/retirements", params: () => ({}), testid: "retirements-table",
    render: (list, more) => retireCard.fill(table({
      testid: "retirements-table",
      columns: [["Retired"], ["Certificate"], ["By"], ["Beneficiary"], ["Purpose"], ["Energy", "num"],
        ["CO2 avoided", "num"], ["Consumption"]],
      rows: list.map((r) => ({
        testid: "retirement-row", dataset: { certificate: r.certificate },
        cells: [time(r.retired_at), addressCell(r.certificate, short), addressCell(r.owner, short),
          el("td", { title: r.beneficiary }, `${r.beneficiary_name} (${short(r.beneficiary)})`), r.purpose,
          energy(r.volume_wh), co2(r.co2_avoided_g), `${time(r.consumption_start)} – ${time(r.consumption_end)}`],
      })),
      empty: "No certificate retired yet.",
    }), more),
  });
  const refreshRetirements = retirements.refresh;

  const refreshAll = () => {
    refreshCredits(); refreshCertificates(); refreshTransfers(); refreshRetirements();
  };
  ctx.subscribe({ certificates: true }, ctx.keep(debounce(refreshAll)));
  refreshAll();
}
