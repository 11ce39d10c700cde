//! `idl/energy_token.json` is the wire-format source of truth for clients; this test pins it to the
//! program: address, discriminators, argument and account layouts (every field offset), PDA seeds,
//! events and error codes/names/messages. It also pins this program's view of the registry's Meter
//! (`state::RegistryMeter`) to the Meter type in `idl/registry.json`. Any drift fails here.

use core::mem::{offset_of, size_of};
use energy_token::{
    errors::EnergyTokenError,
    events::{GridBurned, GridMinted, TokenInitialized},
    instructions::{burn, initialize, settle_and_mint},
    state::{
        Config, RegistryMeter, CONFIG_SEED, MINT_AUTHORITY_SEED, MINT_SEED, SETTLEMENT_SEED,
        TOKEN_PROGRAM_ID,
    },
};
use serde_json::Value;
use solgrid_program_kit::{
    account::AccountLayout, checks::SYSTEM_PROGRAM_ID, deployer::LOADER_V3_ID, discriminator,
    event::Event, KitError,
};

fn load(name: &str) -> Value {
    let path = format!("{}/../../idl/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("read the IDL"))
        .expect("valid JSON")
}

fn idl() -> Value {
    load("energy_token")
}

fn named<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|item| item["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing from the IDL"))
}

fn bytes(value: &Value) -> Vec<u8> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect()
}

/// Borsh size of an IDL type (SolGrid uses fixed-size types only).
fn type_size(idl: &Value, ty: &Value) -> usize {
    if let Some(simple) = ty.as_str() {
        return match simple {
            "u8" | "i8" | "bool" => 1,
            "u16" | "i16" => 2,
            "u32" | "i32" => 4,
            "u64" | "i64" => 8,
            "u128" | "i128" => 16,
            "pubkey" => 32,
            other => panic!("variable-size or unknown type {other}"),
        };
    }
    if let Some(array) = ty.get("array") {
        return type_size(idl, &array[0]) * array[1].as_u64().unwrap() as usize;
    }
    let name = ty["defined"]["name"].as_str().expect("defined type");
    let defined = &named(&idl["types"], name)["type"];
    match defined["kind"].as_str().unwrap() {
        "enum" => {
            assert!(defined["variants"]
                .as_array()
                .unwrap()
                .iter()
                .all(|v| v.get("fields").is_none()));
            1
        }
        "struct" => fields_layout(idl, &defined["fields"]).1,
        kind => panic!("unsupported kind {kind}"),
    }
}

/// (name, offset) of each field, and the total size.
fn fields_layout(idl: &Value, fields: &Value) -> (Vec<(String, usize)>, usize) {
    let mut offset = 0;
    let mut layout = Vec::new();
    for field in fields.as_array().unwrap() {
        layout.push((field["name"].as_str().unwrap().to_string(), offset));
        offset += type_size(idl, &field["type"]);
    }
    (layout, offset)
}

fn type_layout(idl: &Value, name: &str) -> (Vec<(String, usize)>, usize) {
    let ty = &named(&idl["types"], name)["type"];
    assert_eq!(ty["kind"], "struct");
    fields_layout(idl, &ty["fields"])
}

macro_rules! rust_layout {
    ($ty:ty; $($field:ident),* $(,)?) => {
        (vec![$((stringify!($field).to_string(), offset_of!($ty, $field))),*], size_of::<$ty>())
    };
}

/// (name, writable, signer) of each account of instruction `ix`.
fn account_flags(ix: &Value) -> Vec<(String, bool, bool)> {
    ix["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["writable"].as_bool().unwrap_or(false),
                a["signer"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

fn flags(list: &[(&str, bool, bool)]) -> Vec<(String, bool, bool)> {
    list.iter()
        .map(|(n, w, s)| (n.to_string(), *w, *s))
        .collect()
}

fn const_seeds(account: &Value) -> Vec<Vec<u8>> {
    account["pda"]["seeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["kind"], "const");
            bytes(&s["value"])
        })
        .collect()
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
    assert_eq!(fields_layout(&idl, &init["args"]).1, 0);
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
    assert_eq!(fields_layout(&idl, &settle["args"]).1, 0);
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
    assert_eq!(discriminator::LEN + size, burn::DATA_LEN);
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
                assert_eq!(const_seeds(account), vec![seed.to_vec()], "{name}");
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

#[test]
fn accounts() {
    let idl = idl();
    assert_eq!(
        bytes(&named(&idl["accounts"], "Config")["discriminator"]),
        Config::DISCRIMINATOR
    );
    assert_eq!(idl["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(
        type_layout(&idl, "Config"),
        rust_layout!(Config; authority, registry_program, mint, mint_authority, settlement_authority,
            bump, mint_bump, mint_authority_bump, settlement_bump, reserved)
    );
    assert_eq!(
        discriminator::LEN + type_layout(&idl, "Config").1,
        Config::LEN
    );
}

#[test]
fn registry_meter_view_matches_the_registry_idl() {
    let registry = load("registry");
    assert_eq!(
        bytes(&named(&registry["accounts"], "Meter")["discriminator"]),
        RegistryMeter::DISCRIMINATOR
    );
    assert_eq!(
        type_layout(&registry, "Meter"),
        rust_layout!(RegistryMeter; serial, owner, user, zone_id, device_key, source, status, bump,
            capacity_w, last_window_end, produced_wh, consumed_wh, settled_wh, certified_wh,
            reading_count, registered_at, reserved)
    );
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
        names.len(),
        4,
        "settle_meter takes (authority, config, meter, user)"
    );
    assert_eq!(fields_layout(&registry, &settle_meter["args"]).1, 0);
}

#[test]
fn events() {
    let idl = idl();
    assert_eq!(
        bytes(&named(&idl["events"], "TokenInitialized")["discriminator"]),
        TokenInitialized::DISCRIMINATOR
    );
    assert_eq!(
        bytes(&named(&idl["events"], "GridMinted")["discriminator"]),
        GridMinted::DISCRIMINATOR
    );
    assert_eq!(
        bytes(&named(&idl["events"], "GridBurned")["discriminator"]),
        GridBurned::DISCRIMINATOR
    );
    assert_eq!(idl["events"].as_array().unwrap().len(), 3);
    assert_eq!(
        type_layout(&idl, "TokenInitialized"),
        rust_layout!(TokenInitialized; config, authority, registry_program, mint, mint_authority,
            settlement_authority, decimals, timestamp)
    );
    assert_eq!(
        type_layout(&idl, "GridMinted"),
        rust_layout!(GridMinted; meter, owner, destination, amount_wh, amount)
    );
    assert_eq!(
        type_layout(&idl, "GridBurned"),
        rust_layout!(GridBurned; holder, token_account, amount)
    );
}

#[test]
fn errors_are_the_kit_errors_then_the_energy_token_errors() {
    let idl = idl();
    let listed: Vec<(u64, String, String)> = idl["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["code"].as_u64().unwrap(),
                e["name"].as_str().unwrap().into(),
                e["msg"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected: Vec<(u64, String, String)> = KitError::ALL
        .iter()
        .map(|e| (e.code() as u64, e.name().into(), e.message().into()))
        .chain(
            EnergyTokenError::ALL
                .iter()
                .map(|e| (e.code() as u64, e.name().into(), e.message().into())),
        )
        .collect();
    assert_eq!(listed, expected);
}
