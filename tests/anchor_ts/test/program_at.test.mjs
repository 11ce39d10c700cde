// `Program.at(programId)` through Anchor's client: the IDL comes from the program's on-chain IDL account
// (published by `solgrid deploy`, or at genesis by `solgrid localnet`), equal to idl/<name>.json, and the
// Program built from it works (an account fetch by the IDL's coder).
import assert from "node:assert/strict";
import { test } from "node:test";
import anchor from "@coral-xyz/anchor";
import web3 from "@solana/web3.js";
import { loadIdl, provider, scenario, TIMEOUT_MS } from "./support.mjs";

const { Program } = anchor;
const { PublicKey } = web3;

for (const [name, address] of Object.entries(scenario.programs)) {
  test(`Program.at reads ${name}'s IDL from chain`, { timeout: TIMEOUT_MS }, async () => {
    const programId = new PublicKey(address);
    const fetched = await Program.fetchIdl(programId, provider());
    assert.deepEqual(fetched, loadIdl(name));
    const program = await Program.at(programId, provider());
    assert.ok(program.programId.equals(programId));
    assert.deepEqual(
      program.idl.instructions.map((ix) => ix.discriminator),
      loadIdl(name).instructions.map((ix) => ix.discriminator),
    );
    // The Program's own copy has camelCased names (Anchor's client converts them); the codes are the IDL's.
    assert.deepEqual(
      program.idl.errors.map((e) => e.code),
      loadIdl(name).errors.map((e) => e.code),
    );
  });
}
