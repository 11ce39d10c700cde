// Failing instructions through Anchor's client: `.rpc()` throws Anchor's `AnchorError`, named from the
// program's `AnchorError occurred` log line, for the program that raised it (the last program of the
// error's program stack), including an error raised inside a CPI.
import assert from "node:assert/strict";
import { test } from "node:test";
import anchor from "@coral-xyz/anchor";
import { authority, call, loadIdl, owner, program, scenario, TIMEOUT_MS } from "./support.mjs";

const { AnchorError, BN } = anchor;

function idlError(name, errorName) {
  const error = loadIdl(name).errors.find((e) => e.name === errorName);
  assert.ok(error, `${errorName} is not in idl/${name}.json`);
  return error;
}

async function expectAnchorError(send, programName, errorName) {
  const expected = idlError(programName, errorName);
  let thrown;
  try {
    await send();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown, `the transaction was expected to fail with ${programName}'s ${errorName}`);
  assert.ok(thrown instanceof AnchorError, `not an AnchorError: ${thrown}\n${(thrown.logs ?? []).join("\n")}`);
  assert.equal(thrown.error.errorCode.code, errorName);
  assert.equal(thrown.error.errorCode.number, expected.code);
  assert.equal(thrown.error.errorMessage, expected.msg);
  assert.equal(thrown.program.toBase58(), scenario.programs[programName]);
  // One line only: no other program named the code.
  const lines = thrown.logs.filter((line) => line.startsWith("Program log: AnchorError"));
  assert.equal(lines.length, 1, lines.join("\n"));
  return thrown;
}

test("registry: a stranger verifying a user is NotRegulator", { timeout: TIMEOUT_MS }, async () => {
  const registry = program("registry");
  await expectAnchorError(
    () => call(registry, "verify_user").signers([owner]).rpc(),
    "registry",
    "NotRegulator",
  );
});

test("energy_token: burning zero is ZeroAmount (the same number as the registry's NotRegulator)", { timeout: TIMEOUT_MS }, async () => {
  const energyToken = program("energy_token");
  const error = await expectAnchorError(
    () => call(energyToken, "burn", [new BN(0)]).signers([owner]).rpc(),
    "energy_token",
    "ZeroAmount",
  );
  assert.equal(error.error.errorCode.number, idlError("registry", "NotRegulator").code);
});

test("trading: initialising with a base mint that is no mint is InvalidBaseMint", { timeout: TIMEOUT_MS }, async () => {
  const trading = program("trading", authority);
  await expectAnchorError(
    () => call(trading, "trading_initialize_quote_as_base").rpc(),
    "trading",
    "InvalidBaseMint",
  );
});

test("governance: initialising with a zero proposal lifetime is InvalidConfigParams", { timeout: TIMEOUT_MS }, async () => {
  const governance = program("governance", authority);
  const params = Object.fromEntries(
    Object.entries(scenario.governanceBadParams).map(([k, v]) => [k, new BN(v)]),
  );
  await expectAnchorError(
    () => call(governance, "governance_initialize", [params]).rpc(),
    "governance",
    "InvalidConfigParams",
  );
});

// The scenario names the registry's error its settle_empty accounts lead to (NothingToSettle on the local
// node, where a meter with nothing to settle is written into it).
test(`an error inside a CPI: energy_token's settlement fails with the registry's ${scenario.cpiError}`, { timeout: TIMEOUT_MS }, async () => {
  const energyToken = program("energy_token");
  const error = await expectAnchorError(
    () => call(energyToken, "settle_empty").rpc(),
    "registry",
    scenario.cpiError,
  );
  // The registry failed inside energy_token's invoke; energy_token logged no line of its own.
  const stack = error.programErrorStack.map((key) => key.toBase58());
  assert.deepEqual(stack.slice(-2), [scenario.programs.energy_token, scenario.programs.registry]);
});
