// Anchor's account resolver on the IDLs' seeds: given only the accounts that are no PDA (or whose seeds
// name the account itself), Anchor's client derives the others, including PDAs of another program
// (`pda.program`, from an account or from a field of this program's Config), and must find the
// addresses the Python SDK computed for the scenario (`accountsOf`).
//
// Seeds that read a field of another program's account (the registry Meter's owner and zone_id) resolve
// because the registry's IDL is on-chain: Anchor 0.32.1 decodes such an account with its owner's IDL,
// fetched with Program.fetchIdl, and encodes the field by the type the instruction's own IDL repeats
// (the registry's Meter in energy_token's and governance's IDLs).
import assert from "node:assert/strict";
import { test } from "node:test";
import anchor from "@coral-xyz/anchor";
import web3 from "@solana/web3.js";
import {
  accountsOf,
  authority,
  call,
  connection,
  openScenarioMarket,
  partial,
  program,
  scenario,
  TIMEOUT_MS,
} from "./support.mjs";

const { BN } = anchor;
const { PublicKey } = web3;

function base58(accounts) {
  return Object.fromEntries(Object.entries(accounts).map(([name, key]) => [name, key.toBase58()]));
}

/** `key`'s accounts as Anchor resolves them from `given` (IDL names), compared with the SDK's. */
async function assertResolves(prog, key, given, args = []) {
  const resolved = await partial(prog, key, given, args).pubkeys();
  assert.deepEqual(base58(resolved), base58(accountsOf(key)), key);
}

test("energy_token settle_and_mint: the registry's Config, User and Zone under registry_program, and its own PDAs", { timeout: TIMEOUT_MS }, async () => {
  const energyToken = program("energy_token");
  for (const key of ["settle_full", "settle_empty"]) {
    await assertResolves(energyToken, key, ["meter", "registry_program", "destination"]);
  }
});

test("governance request_certificate: the registry's Config, User and Zone under Config.registry_program", { timeout: TIMEOUT_MS }, async () => {
  // Anchor reads Config.registry_program from governance's Config: initialise governance (as its
  // upgrade authority) unless this cluster's already is.
  const init = scenario.instructions.governance_initialize.accounts;
  if ((await connection.getAccountInfo(new PublicKey(init.config))) === null) {
    const params = Object.fromEntries(
      Object.entries(scenario.governanceParams).map(([name, value]) => [name, new BN(value)]),
    );
    await call(program("governance", authority), "governance_initialize", [params]).rpc();
  }
  const governance = program("governance");
  // The certificate is no IDL PDA (two derivations; its docs say so); its bump is an argument.
  const given = ["owner", "meter", "certificate", "registry_program"];
  await assertResolves(governance, "request_certificate", given, [scenario.certificateBump]);
});

test("trading place_order: the registry's User and Zone under Config.registry_program, from the market's zone", { timeout: TIMEOUT_MS }, async () => {
  // The seeds read trading's Config and the market (trading's own accounts): the scenario's market is
  // opened unless the events test (or another test, on a shared cluster) opened it.
  await openScenarioMarket();
  await assertResolves(program("trading"), "place_order", ["trader", "market"]);
});
