// What every Node test shares: the node (SOLGRID_RPC_URL), the IDLs (SOLGRID_IDL_DIR), its websocket (SOLGRID_WS_URL, optional), the scenario the
// caller prepared on that node (SOLGRID_ANCHOR_TS_SCENARIO: wallets and each instruction's accounts, see
// test_anchor_ts_client.py), and Anchor `Program`s built from the IDL files, as a dApp builds them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import anchor from "@coral-xyz/anchor";
import web3 from "@solana/web3.js";

const { AnchorProvider, Program, Wallet } = anchor;
const { Connection, Keypair, PublicKey } = web3;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run these tests through test_anchor_ts_client.py)`);
  return value;
}

export const rpcUrl = required("SOLGRID_RPC_URL");
export const idlDir = required("SOLGRID_IDL_DIR");
export const scenario = JSON.parse(readFileSync(required("SOLGRID_ANCHOR_TS_SCENARIO"), "utf8"));
// The websocket endpoint too: web3.js confirms sent transactions by subscription, and would otherwise
// guess it (the RPC port + 1).
export const wsUrl = process.env.SOLGRID_WS_URL || undefined;
export const connection = new Connection(rpcUrl, { commitment: "confirmed", wsEndpoint: wsUrl });
/** Per-test limit: a node that does not answer fails the test instead of hanging the run. */
export const TIMEOUT_MS = 60_000;

export function keypair(secret) {
  return Keypair.fromSecretKey(Uint8Array.from(secret));
}

export const authority = keypair(scenario.authority);
export const owner = keypair(scenario.owner);

export function loadIdl(name) {
  return JSON.parse(readFileSync(join(idlDir, `${name}.json`), "utf8"));
}

/** An Anchor provider on the node whose wallet (the fee payer) is `payer` (also for `Program.at`). */
export function provider(payer = owner) {
  return new AnchorProvider(connection, new Wallet(payer), {
    commitment: "confirmed",
    preflightCommitment: "confirmed",
  });
}

/** An Anchor Program for IDL `name` from idl/, whose provider's wallet is `payer`. */
export function program(name, payer = owner) {
  return new Program(loadIdl(name), provider(payer));
}

const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/**
 * `program.methods.<instruction>(...args)` with the accounts the scenario lists for `key` (by the IDL's
 * account names, camelCased as Anchor's client names them) and its remaining accounts.
 */
export function call(prog, key, args = []) {
  const spec = scenario.instructions[key];
  const accounts = Object.fromEntries(
    Object.entries(spec.accounts).map(([name, address]) => [camel(name), new PublicKey(address)]),
  );
  const remaining = spec.remaining.map((m) => ({ ...m, pubkey: new PublicKey(m.pubkey) }));
  return prog.methods[camel(spec.instruction)](...args)
    .accountsStrict(accounts)
    .remainingAccounts(remaining);
}

/** The scenario's accounts of instruction `key`, by Anchor's (camelCased) names, as PublicKeys. */
export function accountsOf(key) {
  return Object.fromEntries(
    Object.entries(scenario.instructions[key].accounts).map(([name, address]) => [camel(name), new PublicKey(address)]),
  );
}

/**
 * `program.methods.<instruction>(...args)` given only the scenario's accounts named in `given` (IDL
 * names): Anchor's resolver derives the others (PDAs from the IDL's seeds, fixed addresses).
 */
export function partial(prog, key, given, args = []) {
  const all = accountsOf(key);
  const accounts = Object.fromEntries(given.map((name) => [camel(name), all[camel(name)]]));
  return prog.methods[camel(scenario.instructions[key].instruction)](...args).accountsPartial(accounts);
}

/** The transaction `signature` as a confirmed `getTransaction` returns it. */
export async function transaction(signature) {
  const tx = await connection.getTransaction(signature, {
    commitment: "confirmed",
    maxSupportedTransactionVersion: 0,
  });
  if (tx === null) throw new Error(`transaction ${signature} not found`);
  return tx;
}

/** Opens the scenario's market (a fresh quote mint; the regulator co-signs) with the instruction the
 * Python SDK built; returns the signature, or null when the market is already open. */
export async function openScenarioMarket() {
  const market = new web3.PublicKey(scenario.instructions.place_order.accounts.market);
  if ((await connection.getAccountInfo(market)) !== null) return null;
  const { programId, keys, data } = scenario.createMarket;
  const ix = new web3.TransactionInstruction({
    programId: new web3.PublicKey(programId),
    keys: keys.map((k) => ({ ...k, pubkey: new web3.PublicKey(k.pubkey) })),
    data: Buffer.from(data, "base64"),
  });
  return web3.sendAndConfirmTransaction(connection, new web3.Transaction().add(ix), [authority], {
    commitment: "confirmed",
  });
}
