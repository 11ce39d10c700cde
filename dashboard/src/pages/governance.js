// Governance page (#/governance): the proposals with their votes against the threshold and their state,
// what each zone has paused now, and the pauses and resumes.
import { get, items } from "../api.js";
import { addressCell, card, debounce, el, table } from "../dom.js";
import { pagedList } from "../paged.js";
import { num, short, time } from "../format.js";

const FLAG_NAMES = [[1, "readings"], [2, "minting"], [4, "trading"]];

function flagNames(flags) {
  const names = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
  return names.length ? names.join(", ") : "nothing";
}

export function mount(root, args, ctx) {
  const page = el("div", { class: "page", testid: "page-governance" }, el("h1", {}, "Governance"));
  const proposalsCard = card("Proposals", "proposals");
  const zonesCard = card("Paused now", "zone-pauses");
  const pausesCard = card("Pauses and resumes", "pauses");
  page.append(proposalsCard, zonesCard, pausesCard);
  root.append(page);

  const proposals = pagedList(ctx, {
    key: "proposals", path: "/proposals", params: () => ({}), testid: "proposals-table",
    render: (list, more) => proposalsCard.fill(table({
      testid: "proposals-table",
      columns: [["Id", "num"], ["Title"], ["Proposer"], ["State"], ["Approvals", "num"], ["Rejections", "num"],
        ["Created"], ["Deadline"], ["Executed"]],
      rows: list.map((p) => ({
        testid: "proposal-row", dataset: { proposal: p.address, state: p.status },
        cells: [num(p.proposal_id), p.title || "–", addressCell(p.proposer, short), p.status,
          el("td", { class: "num", testid: "proposal-approvals" },
            `${p.approvals} / ${p.threshold === null ? "?" : p.threshold}`),
          num(p.rejections), time(p.created_at), time(p.expires_at), time(p.executed_at)],
      })),
      empty: "No proposal yet.",
    }), more),
  });
  const refreshProposals = proposals.refresh;

  const refreshZones = () => ctx.load("zones", async () => {
    const zones = items(await get("/zones"));
    if (!ctx.alive) return;
    zonesCard.fill(table({
      testid: "zone-pauses-table",
      columns: [["Zone", "num"], ["Name"], ["Paused"]],
      rows: zones.map((z) => ({
        testid: "zone-pause-row", dataset: { zone: z.zone_id, paused: z.paused },
        cells: [num(z.zone_id), z.name, (z.paused_names || []).join(", ") || "nothing"],
      })),
      empty: "No zone yet.",
    }));
  });
  const pauses = pagedList(ctx, {
    key: "pauses", path: "/pauses", params: () => ({}), testid: "pauses-table",
    render: (list, more) => pausesCard.fill(table({
      testid: "pauses-table",
      columns: [["Time"], ["Scope"], ["Action"], ["Flags"], ["Paused after"], ["By"]],
      rows: list.map((p) => ({
        testid: "pause-row", dataset: { action: p.action, zone: p.zone_id ?? "all" },
        cells: [time(p.timestamp), p.zone_id === null ? "whole market" : `zone ${p.zone_id}`, p.action,
          flagNames(p.flags), flagNames(p.paused),
          p.proposal ? `proposal ${short(p.proposal)}` : p.by ? short(p.by)
            : `co-signed (${(p.cosigners || []).length})`],
      })),
      empty: "Nothing was ever paused.",
    }), more),
  });
  const refreshPauses = () => { refreshZones(); pauses.refresh(); };

  const onProposal = ctx.keep(debounce(refreshProposals));
  const onPause = ctx.keep(debounce(refreshPauses));
  ctx.subscribe({ proposals: true, pauses: true }, (frame) => {
    if (frame.type === "proposal" || frame.type === "subscribed") onProposal();
    if (frame.type === "pause" || frame.type === "subscribed") onPause();
  });
  refreshProposals();
  refreshPauses();
}
