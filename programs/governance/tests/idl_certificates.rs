//! The certificate instructions of `idl/governance.json` pinned to the program: discriminators, the
//! fixed accounts with their flags, argument layouts, PDA seeds, and the renewable sources against
//! the registry's `EnergySource`. (`tests/idl.rs` pins the accounts, events and errors.)

use governance::{
    certificates::is_renewable,
    instructions::*,
    state::{CERTIFICATES_SEED, CERTIFICATE_SEED, CONFIG_SEED},
};
use solgrid_idl_check::{
    assert_account_flags, bytes, constant, fields_layout, load, named, path, seeds, unit_variants,
    FixedAccounts, Value,
};
use solgrid_program_kit::discriminator;

fn idl() -> Value {
    load("governance")
}

/// (name, discriminator, fixed accounts, data length when fixed).
fn certificate_instructions() -> Vec<(&'static str, u64, usize, Option<usize>)> {
    vec![
        (
            "request_certificate",
            request_certificate::DISCRIMINATOR,
            request_certificate::ACCOUNTS_LEN,
            Some(request_certificate::DATA_LEN),
        ),
        (
            "validate_certificate",
            validate_certificate::DISCRIMINATOR,
            validate_certificate::ACCOUNTS_LEN,
            Some(validate_certificate::DATA_LEN),
        ),
        (
            "transfer_certificate",
            transfer_certificate::DISCRIMINATOR,
            transfer_certificate::ACCOUNTS_LEN,
            Some(transfer_certificate::DATA_LEN),
        ),
        (
            "split_certificate",
            split_certificate::DISCRIMINATOR,
            split_certificate::ACCOUNTS_LEN,
            Some(split_certificate::DATA_LEN),
        ),
        (
            "retire_certificate",
            retire_certificate::DISCRIMINATOR,
            retire_certificate::ACCOUNTS_LEN,
            None,
        ),
        (
            "revoke_certificate",
            revoke_certificate::DISCRIMINATOR,
            revoke_certificate::ACCOUNTS_LEN,
            None,
        ),
        (
            "expire_certificate",
            expire_certificate::DISCRIMINATOR,
            expire_certificate::ACCOUNTS_LEN,
            Some(expire_certificate::DATA_LEN),
        ),
    ]
}

#[test]
fn discriminators_accounts_and_data_lengths() {
    let idl = idl();
    for (name, disc, accounts, data_len) in certificate_instructions() {
        let ix = named(&idl["instructions"], name);
        assert_eq!(bytes(&ix["discriminator"]), disc.to_le_bytes(), "{name}");
        assert_eq!(
            bytes(&ix["discriminator"]),
            discriminator::instruction(name),
            "{name}"
        );
        assert_eq!(ix["accounts"].as_array().unwrap().len(), accounts, "{name}");
        // Instructions with string arguments have no fixed length (their layout is pinned by
        // `argument_names_and_types`).
        if let Some(len) = data_len {
            let (_, size) = fields_layout(&idl, &ix["args"]);
            assert_eq!(discriminator::LEN + size.unwrap(), len, "{name}");
        }
    }
}

#[test]
fn argument_names_and_types() {
    let idl = idl();
    let args = |name: &str| -> Vec<(String, Value)> {
        named(&idl["instructions"], name)["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["name"].as_str().unwrap().to_string(), a["type"].clone()))
            .collect()
    };
    let arg = |name: &str, ty: &str| (name.to_string(), Value::from(ty));
    assert_eq!(args("request_certificate"), [arg("bump", "u8")]);
    assert_eq!(args("validate_certificate"), []);
    assert_eq!(args("transfer_certificate"), [arg("new_owner", "pubkey")]);
    assert_eq!(
        args("split_certificate"),
        [
            arg("volume_wh", "u64"),
            arg("new_owner", "pubkey"),
            arg("bump", "u8")
        ]
    );
    assert_eq!(
        args("retire_certificate"),
        [
            arg("beneficiary", "pubkey"),
            arg("beneficiary_name", "string"),
            arg("purpose", "string"),
            arg("consumption_start", "i64"),
            arg("consumption_end", "i64"),
        ]
    );
    assert_eq!(args("revoke_certificate"), [arg("reason", "string")]);
    assert_eq!(args("expire_certificate"), []);
}

/// The fixed accounts as the program reads them: (name, writable, signer).
const ACCOUNT_FLAGS: &[(&str, FixedAccounts)] = &[
    (
        "request_certificate",
        &[
            ("owner", true, true),
            ("config", false, false),
            ("registry_config", false, false),
            ("meter", true, false),
            ("user", false, false),
            ("certificate", true, false),
            ("certificates_authority", false, false),
            ("registry_program", false, false),
            ("system_program", false, false),
            ("zone", false, false),
        ],
    ),
    (
        "validate_certificate",
        &[
            ("regulator", false, true),
            ("config", false, false),
            ("registry_config", false, false),
            ("zone", false, false),
            ("certificate", true, false),
        ],
    ),
    (
        "transfer_certificate",
        &[
            ("owner", false, true),
            ("certificate", true, false),
            ("original", false, false),
        ],
    ),
    (
        "split_certificate",
        &[
            ("owner", true, true),
            ("certificate", true, false),
            ("child", true, false),
            ("system_program", false, false),
            ("original", false, false),
        ],
    ),
    (
        "retire_certificate",
        &[
            ("owner", false, true),
            ("certificate", true, false),
            ("original", false, false),
        ],
    ),
    (
        "revoke_certificate",
        &[
            ("config", false, false),
            ("registry_config", false, false),
            ("certificate", true, false),
        ],
    ),
    ("expire_certificate", &[("certificate", true, false)]),
];

#[test]
fn account_names_and_flags_match_the_program() {
    assert_account_flags(&idl(), ACCOUNT_FLAGS);
}

#[test]
fn pda_seeds_match_the_program() {
    let idl = idl();
    let account =
        |ix: &str, acc: &str| named(&named(&idl["instructions"], ix)["accounts"], acc).clone();
    assert_eq!(
        seeds(&account("request_certificate", "config")),
        [constant(CONFIG_SEED)]
    );
    assert_eq!(
        seeds(&account("request_certificate", "certificates_authority")),
        [constant(CERTIFICATES_SEED)]
    );
    assert_eq!(
        seeds(&account("split_certificate", "child")),
        [
            constant(CERTIFICATE_SEED),
            path("account", "certificate"),
            path("account", "certificate.split_count"),
        ]
    );
}

#[test]
fn renewable_sources_are_the_registrys_solar_wind_and_hydro() {
    let sources = unit_variants(&load("registry"), "EnergySource");
    assert_eq!(sources.len(), 5);
    for (index, name) in sources.iter().enumerate() {
        let renewable = matches!(name.as_str(), "Solar" | "Wind" | "Hydro");
        assert_eq!(is_renewable(index as u8), renewable, "{name}");
    }
    assert!(!is_renewable(sources.len() as u8));
}
