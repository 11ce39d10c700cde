//! `idl/energy_token.json` is the wire-format source of truth for clients; this test pins it to the
//! program: address, discriminators, argument and account layouts (every field offset), PDA seeds,
//! events and error codes/names/messages. The registry's Meter is the registry's own type
//! (`solgrid_registry_layouts`, pinned to `idl/registry.json` by the registry's tests); what is left to
//! pin here is the `settle_meter` CPI this program builds (discriminator, account order, no
//! arguments) against `idl/registry.json`. Any drift fails here.

use energy_token::{
    errors::EnergyTokenError,
    events::{GridBurned, GridMinted, TokenInitialized},
    instructions::{burn, initialize, settle_and_mint},
    state::{
        Config, RegistryMeter, CONFIG_SEED, MINT_AUTHORITY_SEED, MINT_SEED, SETTLEMENT_SEED,
        TOKEN_PROGRAM_ID,
    },
};
use solgrid_idl_check::{
    account_flags, assert_account, assert_event, assert_unit_enums, bytes, constant, error_rows,
    errors, fields_layout, flags, json, load, named, path, rust_layout, seeds, Value,
};
use solgrid_program_kit::{
    account::AccountLayout, checks::SYSTEM_PROGRAM_ID, deployer::LOADER_V3_ID, discriminator,
    event::Event, KitError,
};
use solgrid_registry_layouts::state::{
    CONFIG_SEED as REGISTRY_CONFIG_SEED, METER_SEED, USER_SEED, ZONE_SEED,
};

fn idl() -> Value {
    load("energy_token")
}

#[test]
fn address_and_metadata() {
    let idl = idl();
    assert_eq!(idl["address"], energy_token::ID.to_string());
    assert_eq!(idl["metadata"]["name"], "energy_token");
    assert_eq!(idl["metadata"]["spec"], "0.1.0");
    assert_eq!(idl["metadata"]["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn instructions() {
    let idl = idl();
    let names: Vec<_> = idl["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ix| ix["name"].clone())
        .collect();
    assert_eq!(names, ["initialize", "settle_and_mint", "burn"]);

    let init = named(&idl["instructions"], "initialize");
    assert_eq!(
        bytes(&init["discriminator"]),
        initialize::DISCRIMINATOR.to_le_bytes()
    );
    assert_eq!(
        account_flags(init),
        flags(&[
            ("payer", true, true),
            ("authority", false, true),
            ("config", true, false),
            ("mint", true, false),
            ("registry_program", false, false),
            ("program", false, false),
            ("program_data", false, false),
            ("system_program", false, false),
            ("token_program", false, false),
        ])
    );
    assert_eq!(
        init["accounts"].as_array().unwrap().len(),
        initialize::ACCOUNTS_LEN
    );
    assert_eq!(fields_layout(&idl, &init["args"]).1, Some(0));
    assert_eq!(discriminator::LEN, initialize::DATA_LEN);

    let settle = named(&idl["instructions"], "settle_and_mint");
    assert_eq!(
        bytes(&settle["discriminator"]),
        settle_and_mint::DISCRIMINATOR.to_le_bytes()
    );
    assert_eq!(
        account_flags(settle),
        flags(&[
            ("settlement_authority", false, false),
            ("registry_program", false, false),
            ("registry_config", false, false),
            ("meter", true, false),
            ("user", false, false),
            ("zone", false, false),
            ("mint", true, false),
            ("mint_authority", false, false),
            ("destination", true, false),
            ("token_program", false, false),
            ("config", false, false),
        ])
    );
    assert_eq!(
        settle["accounts"].as_array().unwrap().len(),
        settle_and_mint::ACCOUNTS_LEN
    );
    assert_eq!(settle_and_mint::ACCOUNTS_LEN, energy_token::MAX_ACCOUNTS);
    assert_eq!(fields_layout(&idl, &settle["args"]).1, Some(0));
    assert_eq!(discriminator::LEN, settle_and_mint::DATA_LEN);

    let burn_ix = named(&idl["instructions"], "burn");
    assert_eq!(
        bytes(&burn_ix["discriminator"]),
        burn::DISCRIMINATOR.to_le_bytes()
    );
    assert_eq!(
        account_flags(burn_ix),
        flags(&[
            ("holder", false, true),
            ("token_account", true, false),
            ("mint", true, false),
            ("token_program", false, false),
            ("config", false, false),
        ])
    );
    assert_eq!(
        burn_ix["accounts"].as_array().unwrap().len(),
        burn::ACCOUNTS_LEN
    );
    let (args, size) = fields_layout(&idl, &burn_ix["args"]);
    assert_eq!((args, size), rust_layout!(burn::BurnArgs; amount));
    assert_eq!(discriminator::LEN + size.unwrap(), burn::DATA_LEN);
}

#[test]
fn fixed_addresses_and_pda_seeds_match_the_program() {
    let idl = idl();
    for ix in idl["instructions"].as_array().unwrap() {
        for account in ix["accounts"].as_array().unwrap() {
            let name = account["name"].as_str().unwrap();
            let expected_seeds: Option<&[u8]> = match name {
                "config" => Some(CONFIG_SEED),
                "mint" => Some(MINT_SEED),
                "mint_authority" => Some(MINT_AUTHORITY_SEED),
                "settlement_authority" => Some(SETTLEMENT_SEED),
                _ => None,
            };
            if let Some(seed) = expected_seeds {
                assert_eq!(seeds(account), vec![constant(seed)], "{name}");
                assert!(account["pda"].get("program").is_none(), "{name}");
            }
            match name {
                "token_program" => {
                    assert_eq!(account["address"], TOKEN_PROGRAM_ID.to_string())
                }
                "system_program" => {
                    assert_eq!(account["address"], SYSTEM_PROGRAM_ID.to_string())
                }
                "program" => assert_eq!(account["address"], energy_token::ID.to_string()),
                _ => assert!(account.get("address").is_none(), "{name}"),
            }
        }
    }
    let init = named(&idl["instructions"], "initialize");
    assert_eq!(
        named(&init["accounts"], "program")["address"],
        energy_token::ID.to_string()
    );
    let program_data = &named(&init["accounts"], "program_data")["pda"];
    assert_eq!(
        bytes(&program_data["seeds"][0]["value"]),
        energy_token::ID.to_bytes()
    );
    assert_eq!(
        bytes(&program_data["program"]["value"]),
        LOADER_V3_ID.to_bytes()
    );
}

/// settle_and_mint's registry accounts carry the registry's seeds, under `registry_program` (the
/// registry this deployment trusts, `Config.registry_program`), reading the meter's fields.
#[test]
fn registry_accounts_of_settle_and_mint_carry_the_registry_seeds() {
    let idl = idl();
    let ix = named(&idl["instructions"], "settle_and_mint");
    let expected = [
        ("registry_config", vec![constant(REGISTRY_CONFIG_SEED)]),
        (
            "meter",
            vec![constant(METER_SEED), path("account", "meter.serial")],
        ),
        (
            "user",
            vec![constant(USER_SEED), path("account", "meter.owner")],
        ),
        (
            "zone",
            vec![constant(ZONE_SEED), path("account", "meter.zone_id")],
        ),
    ];
    for (name, expected_seeds) in expected {
        let account = named(&ix["accounts"], name);
        assert_eq!(seeds(account), expected_seeds, "{name}");
        assert_eq!(
            account["pda"]["program"],
            json!({"kind": "account", "path": "registry_program"}),
            "{name}"
        );
        for seed in account["pda"]["seeds"].as_array().unwrap() {
            if seed["kind"] == "account" {
                assert_eq!(seed["account"], "Meter", "{name}");
            }
        }
    }
}

#[test]
fn accounts() {
    let idl = idl();
    assert_eq!(idl["accounts"].as_array().unwrap().len(), 2);
    // The registry's Meter, for the seeds above: the registry IDL's account and types, unchanged.
    let registry = load("registry");
    assert_eq!(
        named(&idl["accounts"], "Meter"),
        named(&registry["accounts"], "Meter")
    );
    for ty in ["Meter", "EnergySource", "MeterStatus"] {
        assert_eq!(
            named(&idl["types"], ty)["type"],
            named(&registry["types"], ty)["type"],
            "{ty}"
        );
    }
    assert_eq!(
        bytes(&named(&idl["accounts"], "Meter")["discriminator"]),
        RegistryMeter::DISCRIMINATOR
    );
    assert_account(
        &idl,
        "Config",
        &Config::DISCRIMINATOR,
        Config::LEN,
        rust_layout!(Config; authority, registry_program, mint, mint_authority, settlement_authority,
            bump, mint_bump, mint_authority_bump, settlement_bump, reserved),
    );
    assert_unit_enums(&idl);
}

#[test]
fn settle_meter_cpi_matches_the_registry_idl() {
    let registry = load("registry");
    let settle_meter = named(&registry["instructions"], "settle_meter");
    assert_eq!(
        bytes(&settle_meter["discriminator"]),
        settle_and_mint::SETTLE_METER_DISCRIMINATOR
    );
    let names: Vec<_> = settle_meter["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        ["settlement_authority", "config", "meter", "user", "zone"],
        "settle_meter takes (authority, config, meter, user, zone), in settle_meter's CPI order"
    );
    assert_eq!(fields_layout(&registry, &settle_meter["args"]).1, Some(0));
}

#[test]
fn events() {
    let idl = idl();
    assert_eq!(idl["events"].as_array().unwrap().len(), 3);
    assert_event(
        &idl,
        "TokenInitialized",
        &TokenInitialized::DISCRIMINATOR,
        rust_layout!(TokenInitialized; config, authority, registry_program, mint, mint_authority,
            settlement_authority, decimals, timestamp),
    );
    assert_event(
        &idl,
        "GridMinted",
        &GridMinted::DISCRIMINATOR,
        rust_layout!(GridMinted; meter, owner, destination, amount_wh, amount),
    );
    assert_event(
        &idl,
        "GridBurned",
        &GridBurned::DISCRIMINATOR,
        rust_layout!(GridBurned; holder, token_account, amount),
    );
}

#[test]
fn errors_are_the_kit_errors_then_the_energy_token_errors() {
    assert_eq!(errors(&idl()), error_rows!(KitError, EnergyTokenError));
}
