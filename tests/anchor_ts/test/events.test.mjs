// Events through Anchor's client (which camelCases IDL names: GridMinted is `gridMinted`). registry and energy_token log theirs (`Program data:` lines), which
// Anchor's EventParser reads from a transaction's logs, each under its own program's invoke; trading
// emits its events by self-CPI (Anchor's `emit_cpi` format: the inner instruction's data is
// EVENT_IX_TAG, then the event's discriminator and borsh fields), which Anchor's client decodes from
// the inner instruction's data with the program's event coder.
import assert from "node:assert/strict";
import { test } from "node:test";
import anchor from "@coral-xyz/anchor";
import web3 from "@solana/web3.js";
import {
  authority,
  call,
  connection,
  openScenarioMarket,
  owner,
  partial,
  program,
  scenario,
  transaction,
  TIMEOUT_MS,
} from "./support.mjs";

const { BorshCoder, EventParser, utils } = anchor;
const { PublicKey } = web3;
// sha256("anchor:event")[..8], as Anchor's `emit_cpi` writes it (little-endian 0x1d9acb512ea545e4).
const EVENT_IX_TAG = Buffer.from("e445a52e51cb9a1d", "hex");

function parsedEvents(prog, logs) {
  const parser = new EventParser(prog.programId, new BorshCoder(prog.idl));
  return [...parser.parseLogs(logs)];
}

/** The base64 of every `Program data:` line logged while `programId` is the innermost program running. */
function programDataUnder(logs, programId) {
  const stack = [];
  const found = [];
  for (const line of logs) {
    const invoke = /^Program (\w+) invoke \[\d+\]$/.exec(line);
    if (invoke) stack.push(invoke[1]);
    else if (/^Program \w+ (success|failed)/.test(line)) stack.pop();
    else if (line.startsWith("Program data: ") && stack.at(-1) === programId) {
      found.push(line.slice("Program data: ".length));
    }
  }
  return found;
}

test("a settlement's events: GridMinted from energy_token's logs (EventParser), MeterSettled from the registry's", { timeout: TIMEOUT_MS }, async () => {
  const energyToken = program("energy_token");
  const registry = program("registry");
  // Only the meter, the registry program and the destination are given: Anchor derives every PDA from
  // the IDL's seeds, the registry's Config, User and Zone among them (the User's and Zone's from the
  // Meter's owner and zone_id, reading the meter with the registry's on-chain IDL; resolution.test.mjs
  // compares them with the SDK's).
  const given = ["meter", "registry_program", "destination"];
  const signature = await partial(energyToken, "settle_full", given).rpc();
  const { meta } = await transaction(signature);
  assert.equal(meta.err, null);

  const minted = parsedEvents(energyToken, meta.logMessages);
  assert.deepEqual(minted.map((e) => e.name), ["gridMinted"]);
  const grid = minted[0].data;
  assert.equal(grid.owner.toBase58(), owner.publicKey.toBase58());
  const wh = BigInt(scenario.settleWh);
  assert.equal(grid.amountWh.toString(), wh.toString());
  assert.equal(grid.amount.toString(), (wh * 1_000_000n).toString());

  // Anchor's EventParser attributes the lines of a program invoked by CPI to "cpi", whichever program it
  // is (as for Anchor programs), so the registry's event inside energy_token's CPI is read by decoding
  // the `Program data:` line under the registry's invoke with the registry's event coder.
  assert.deepEqual(parsedEvents(registry, meta.logMessages), []);
  const settled = programDataUnder(meta.logMessages, scenario.programs.registry)
    .map((data) => registry.coder.events.decode(data))
    .filter((event) => event !== null);
  assert.deepEqual(settled.map((e) => e.name), ["meterSettled"]);
  assert.equal(settled[0].data.amountWh.toString(), wh.toString());
  assert.equal(settled[0].data.meter.toBase58(), grid.meter.toBase58());

  const balance = await connection.getTokenAccountBalance(
    new PublicKey(scenario.instructions.settle_full.accounts.destination),
  );
  assert.equal(balance.value.amount, (wh * 1_000_000n).toString());
});

/** The events trading emitted by self-CPI in the transaction `signature`, decoded by Anchor's event
 * coder from the inner instructions' data; none of them is in the logs. */
async function selfCpiEvents(trading, signature) {
  const tx = await transaction(signature);
  assert.equal(tx.meta.err, null);
  const keys = tx.transaction.message.staticAccountKeys.map((key) => key.toBase58());
  const events = [];
  for (const inner of tx.meta.innerInstructions) {
    for (const ix of inner.instructions) {
      const data = Buffer.from(utils.bytes.bs58.decode(ix.data));
      if (keys[ix.programIdIndex] !== scenario.programs.trading) continue;
      if (!data.subarray(0, 8).equals(EVENT_IX_TAG)) continue;
      events.push(trading.coder.events.decode(utils.bytes.base64.encode(data.subarray(8))));
    }
  }
  assert.ok(events.every((event) => event), "a self-CPI's data is not an event of trading's IDL");
  // Nothing of it is in the logs: EventParser finds no event there.
  assert.deepEqual(parsedEvents(trading, tx.meta.logMessages), []);
  return events;
}

// Trading's initialisation where this test is the first to initialise trading (the local node; on a
// shared real validator another test may have), then, on every node, the opening of the scenario's
// market (a fresh quote mint), which emits its event the same way.
test("trading's events, decoded from its self-CPI instruction data", { timeout: TIMEOUT_MS }, async () => {
  const trading = program("trading", authority);
  if (!scenario.tradingInitialized) {
    const [initialized, ...more] = await selfCpiEvents(trading, await call(trading, "trading_initialize").rpc());
    assert.deepEqual(more, []);
    assert.equal(initialized.name, "tradingInitialized");
    assert.equal(initialized.data.authority.toBase58(), authority.publicKey.toBase58());
    assert.equal(initialized.data.baseMint.toBase58(), scenario.gridMint);
  }
  const market = scenario.instructions.place_order.accounts.market;
  const opened = await openScenarioMarket();
  assert.ok(opened, `the scenario's market ${market} is open already: nothing to emit its event`);
  const [created, ...others] = await selfCpiEvents(trading, opened);
  assert.deepEqual(others, []);
  assert.equal(created.name, "marketCreated");
  assert.equal(created.data.market.toBase58(), market);
});
