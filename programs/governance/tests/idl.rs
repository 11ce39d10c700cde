//! `idl/governance.json` is the wire-format source of truth for clients; this test pins it to the
//! program: address, discriminators, argument and account layouts (every field offset), the fixed
//! accounts of every instruction with their flags, PDA seeds, events and error codes/names/messages,
//! and the renewable sources against the registry's `EnergySource`. The registry's Config, Zone, User
//! and Meter, which this program reads, are the registry's own types (`solgrid_registry_layouts`,
//! pinned to `idl/registry.json` by the registry's tests); what is left to pin here is that the
//! registry's IDL describes the Meter's `source` as its `EnergySource`. Any drift on either side
//! fails here.

use governance::{
    certificates::is_renewable, errors::GovernanceError, events::*, instructions::*, state::*,
};
use solgrid_idl_check::{
    assert_account, assert_account_flags, assert_event, assert_unit_enums, bytes, constant,
    defined, error_rows, errors, field_type, fields_layout, json, load, named, names, path,
    rust_layout, seeds, type_layout, unit_variants, FixedAccounts, Layout, Value,
};
use solgrid_program_kit::{account::AccountLayout, discriminator, event::Event, KitError};
use solgrid_registry_layouts::state::{
    CONFIG_SEED as REGISTRY_CONFIG_SEED, METER_SEED, USER_SEED, ZONE_SEED,
};

fn idl() -> Value {
    load("governance")
}

#[test]
fn address_and_metadata() {
    let idl = idl();
    assert_eq!(idl["address"], governance::ID.to_string());
    assert_eq!(idl["metadata"]["name"], "governance");
    assert_eq!(idl["metadata"]["spec"], "0.1.0");
    assert_eq!(idl["metadata"]["version"], env!("CARGO_PKG_VERSION"));
}

/// Every instruction of the IDL, in order.
const INSTRUCTIONS: &[&str] = &[
    "initialize",
    "update_config",
    "propose",
    "approve",
    "reject",
    "execute",
    "cancel",
    "close_proposal",
    "record_quorum",
    "request_certificate",
    "validate_certificate",
    "transfer_certificate",
    "split_certificate",
    "retire_certificate",
    "revoke_certificate",
    "expire_certificate",
];

/// (name, discriminator, fixed accounts, data length when fixed) of the program's instructions
/// (instructions with a string, vector or bytes argument have no fixed length; their layout is
/// pinned by `argument_names_and_types`).
fn program_instructions() -> Vec<(&'static str, u64, usize, Option<usize>)> {
    vec![
        (
            "initialize",
            initialize::DISCRIMINATOR,
            initialize::ACCOUNTS_LEN,
            Some(initialize::DATA_LEN),
        ),
        (
            "update_config",
            update_config::DISCRIMINATOR,
            update_config::ACCOUNTS_LEN,
            Some(update_config::DATA_LEN),
        ),
        (
            "propose",
            propose::DISCRIMINATOR,
            propose::ACCOUNTS_LEN,
            None,
        ),
        (
            "approve",
            approve::DISCRIMINATOR,
            approve::ACCOUNTS_LEN,
            Some(approve::DATA_LEN),
        ),
        (
            "reject",
            reject::DISCRIMINATOR,
            reject::ACCOUNTS_LEN,
            Some(reject::DATA_LEN),
        ),
        (
            "execute",
            execute::DISCRIMINATOR,
            execute::ACCOUNTS_LEN,
            Some(execute::DATA_LEN),
        ),
        (
            "cancel",
            cancel::DISCRIMINATOR,
            cancel::ACCOUNTS_LEN,
            Some(cancel::DATA_LEN),
        ),
        (
            "close_proposal",
            close_proposal::DISCRIMINATOR,
            close_proposal::ACCOUNTS_LEN,
            Some(close_proposal::DATA_LEN),
        ),
        (
            "record_quorum",
            record_quorum::DISCRIMINATOR,
            record_quorum::ACCOUNTS_LEN,
            Some(record_quorum::DATA_LEN),
        ),
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
fn instructions() {
    let idl = idl();
    assert_eq!(names(&idl["instructions"]), INSTRUCTIONS);
    for ix in idl["instructions"].as_array().unwrap() {
        let name = ix["name"].as_str().unwrap();
        assert_eq!(
            bytes(&ix["discriminator"]),
            discriminator::instruction(name),
            "{name}"
        );
    }
    let pinned = program_instructions();
    assert_eq!(
        pinned.iter().map(|row| row.0).collect::<Vec<_>>(),
        INSTRUCTIONS,
        "every instruction is pinned"
    );
    for (name, disc, accounts, data_len) in pinned {
        let ix = named(&idl["instructions"], name);
        assert_eq!(bytes(&ix["discriminator"]), disc.to_le_bytes(), "{name}");
        assert_eq!(ix["accounts"].as_array().unwrap().len(), accounts, "{name}");
        if let Some(len) = data_len {
            assert_eq!(
                discriminator::LEN + fields_layout(&idl, &ix["args"]).1.unwrap(),
                len,
                "{name}"
            );
        }
    }
    let init = named(&idl["instructions"], "initialize");
    assert_eq!(init["args"][0]["type"], defined("ConfigParams"));
    let update = named(&idl["instructions"], "update_config");
    assert_eq!(update["args"][0]["type"], defined("ConfigParams"));
    // propose: fixed fields, then a string, a Vec<ProposalAccount> and bytes (borsh, in that order).
    let propose = &named(&idl["instructions"], "propose")["args"];
    assert_eq!(
        names(propose),
        [
            "target_program",
            "timelock_secs",
            "lifetime_secs",
            "title",
            "accounts",
            "data",
            "bump"
        ]
    );
    let types: Vec<Value> = propose
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].clone())
        .collect();
    assert_eq!(
        types,
        [
            Value::from("pubkey"),
            Value::from("u32"),
            Value::from("u32"),
            Value::from("string"),
            solgrid_idl_check::vec_of("ProposalAccount"),
            Value::from("bytes"),
            Value::from("u8"),
        ]
    );
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

/// Every instruction's fixed accounts as the program reads them: (name, writable, signer). Remaining
/// accounts (co-signers, a proposal's accounts) are not in the IDL's lists.
const ACCOUNT_FLAGS: &[(&str, FixedAccounts)] = &[
    (
        "initialize",
        &[
            ("payer", true, true),
            ("authority", false, true),
            ("config", true, false),
            ("program", false, false),
            ("program_data", false, false),
            ("system_program", false, false),
            ("registry_program", false, false),
            ("trading_program", false, false),
            ("energy_token_program", false, false),
        ],
    ),
    (
        "update_config",
        &[("governance", false, true), ("config", true, false)],
    ),
    (
        "propose",
        &[
            ("proposer", true, true),
            ("config", true, false),
            ("registry_config", false, false),
            ("proposal", true, false),
            ("system_program", false, false),
        ],
    ),
    (
        "approve",
        &[
            ("regulator", false, true),
            ("config", false, false),
            ("registry_config", false, false),
            ("proposal", true, false),
        ],
    ),
    (
        "reject",
        &[
            ("regulator", false, true),
            ("config", false, false),
            ("registry_config", false, false),
            ("proposal", true, false),
        ],
    ),
    (
        "execute",
        &[
            ("proposal", true, false),
            ("config", false, false),
            ("registry_config", false, false),
            ("governance", false, false),
            ("target_program", false, false),
        ],
    ),
    (
        "cancel",
        &[
            ("authority", false, true),
            ("config", false, false),
            ("registry_config", false, false),
            ("proposal", true, false),
        ],
    ),
    (
        "close_proposal",
        &[("proposal", true, false), ("proposer", true, false)],
    ),
    (
        "record_quorum",
        &[
            ("config", false, false),
            ("registry_config", false, false),
            ("proposal", true, false),
        ],
    ),
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
        seeds(&account("initialize", "config")),
        [constant(CONFIG_SEED)]
    );
    assert_eq!(
        seeds(&account("update_config", "governance")),
        [constant(GOVERNANCE_SEED)]
    );
    assert_eq!(
        seeds(&account("execute", "governance")),
        [constant(GOVERNANCE_SEED)]
    );
    assert_eq!(
        seeds(&account("propose", "proposal")),
        [
            constant(PROPOSAL_SEED),
            ("account".to_string(), Value::from("config.proposal_count"))
        ]
    );
    for (ix, acc) in [
        ("propose", "config"),
        ("approve", "config"),
        ("reject", "config"),
        ("execute", "config"),
        ("cancel", "config"),
        ("record_quorum", "config"),
        ("request_certificate", "config"),
    ] {
        assert_eq!(seeds(&account(ix, acc)), [constant(CONFIG_SEED)], "{ix}");
    }
    // The registry's PDAs, under the registry this deployment trusts (Config.registry_program).
    let registry =
        json!({"kind": "account", "path": "config.registry_program", "account": "Config"});
    for ix in [
        "propose",
        "approve",
        "reject",
        "execute",
        "cancel",
        "record_quorum",
        "request_certificate",
        "validate_certificate",
        "revoke_certificate",
    ] {
        let registry_config = account(ix, "registry_config");
        assert_eq!(
            seeds(&registry_config),
            [constant(REGISTRY_CONFIG_SEED)],
            "{ix}"
        );
        assert_eq!(registry_config["pda"]["program"], registry, "{ix}");
    }
    let user = account("request_certificate", "user");
    assert_eq!(
        seeds(&user),
        [constant(USER_SEED), path("account", "owner")]
    );
    assert_eq!(user["pda"]["program"], registry);
    // The meter and its zone, from the registry Meter's own fields (the registry's Meter, which this
    // IDL repeats for these seeds).
    for (acc, seed, field) in [
        ("meter", METER_SEED, "meter.serial"),
        ("zone", ZONE_SEED, "meter.zone_id"),
    ] {
        let pda = account("request_certificate", acc);
        assert_eq!(
            seeds(&pda),
            [constant(seed), path("account", field)],
            "{acc}"
        );
        assert_eq!(pda["pda"]["seeds"][1]["account"], "Meter", "{acc}");
        assert_eq!(pda["pda"]["program"], registry, "{acc}");
    }
    let zone = account("validate_certificate", "zone");
    assert_eq!(
        seeds(&zone),
        [constant(ZONE_SEED), path("account", "certificate.zone_id")]
    );
    assert_eq!(zone["pda"]["program"], registry);
    // An existing proposal, from its own id (u64 LE, as `propose` derives it from proposal_count).
    for ix in [
        "approve",
        "reject",
        "execute",
        "cancel",
        "close_proposal",
        "record_quorum",
    ] {
        let proposal = account(ix, "proposal");
        assert_eq!(
            seeds(&proposal),
            [constant(PROPOSAL_SEED), path("account", "proposal.id")],
            "{ix}"
        );
        assert!(proposal["pda"].get("program").is_none(), "{ix}");
    }
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
    let init = named(&idl["instructions"], "initialize");
    assert_eq!(
        named(&init["accounts"], "program")["address"],
        governance::ID.to_string()
    );
    let program_data = &named(&init["accounts"], "program_data")["pda"];
    assert_eq!(
        bytes(&program_data["seeds"][0]["value"]),
        governance::ID.to_bytes()
    );
    assert_eq!(
        bytes(&program_data["program"]["value"]),
        solgrid_program_kit::deployer::LOADER_V3_ID.to_bytes()
    );
}

fn account_type<T: AccountLayout>(idl: &Value, name: &str, layout: Layout) {
    assert_account(idl, name, &T::DISCRIMINATOR, T::LEN, layout);
}

#[test]
fn accounts() {
    let idl = idl();
    assert_eq!(
        names(&idl["accounts"]),
        ["Certificate", "Config", "Meter", "Proposal"]
    );
    // The registry's Meter, for request_certificate's seeds: the registry IDL's account and types,
    // unchanged.
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
    account_type::<Config>(
        &idl,
        "Config",
        rust_layout!(Config; registry_program, trading_program, energy_token_program,
            proposal_count, min_timelock_secs, max_lifetime_secs, certificate_validity_secs, bump,
            governance_bump, certificates_bump, reserved),
    );
    account_type::<Proposal>(
        &idl,
        "Proposal",
        rust_layout!(Proposal; id, proposer, title, target_program, created_at, expires_at,
            timelock_secs, quorum_at, executed_at, status, approvals, approval_count, rejections,
            rejection_count, account_count, accounts, data_len, data, bump, approval_versions,
            rejection_versions),
    );
    account_type::<Certificate>(
        &idl,
        "Certificate",
        rust_layout!(Certificate; meter, zone_id, source, status, generation_start,
            generation_end, volume_wh, requested_at, issued_at, issuer, expires_at, owner,
            co2_avoided_g, parent, original, split_count, bump, revoke_reason, retirement,
            lineage_revoked, reserved),
    );
    assert_eq!(
        type_layout(&idl, "ConfigParams"),
        rust_layout!(ConfigParams; min_timelock_secs, max_lifetime_secs, certificate_validity_secs)
    );
    assert_eq!(
        type_layout(&idl, "ProposalAccount"),
        rust_layout!(ProposalAccount; address, flags)
    );
    assert_eq!(
        type_layout(&idl, "Retirement"),
        rust_layout!(Retirement; beneficiary, beneficiary_name, purpose, consumption_start,
            consumption_end, retired_at)
    );
    assert_eq!(
        field_type(&idl, "Proposal", "status"),
        defined("ProposalStatus")
    );
    assert_eq!(
        field_type(&idl, "Certificate", "status"),
        defined("CertificateStatus")
    );
    assert_eq!(
        field_type(&idl, "Certificate", "source"),
        defined("EnergySource")
    );
}

#[test]
fn enums() {
    let idl = idl();
    assert_unit_enums(&idl);
    fn check<E: Copy + core::fmt::Debug>(idl_names: Vec<String>, all: &[E], as_u8: fn(E) -> u8) {
        assert_eq!(idl_names.len(), all.len());
        for (index, (name, variant)) in idl_names.iter().zip(all).enumerate() {
            assert_eq!(as_u8(*variant) as usize, index);
            assert_eq!(&format!("{variant:?}"), name);
        }
    }
    check(
        unit_variants(&idl, "ProposalStatus"),
        ProposalStatus::ALL,
        |v| v as u8,
    );
    check(
        unit_variants(&idl, "CertificateStatus"),
        CertificateStatus::ALL,
        |v| v as u8,
    );
    // The registry's EnergySource, repeated here for the Certificate's `source`.
    assert_eq!(
        unit_variants(&idl, "EnergySource"),
        unit_variants(&load("registry"), "EnergySource")
    );
}

fn event<E: Event>(idl: &Value, name: &str, layout: Layout) {
    assert_event(idl, name, &E::DISCRIMINATOR, layout);
}

#[test]
fn events() {
    let idl = idl();
    assert_eq!(idl["events"].as_array().unwrap().len(), 15);
    event::<GovernanceInitialized>(
        &idl,
        "GovernanceInitialized",
        rust_layout!(GovernanceInitialized; config, registry_program, trading_program,
            energy_token_program, params, timestamp),
    );
    event::<GovernanceConfigUpdated>(
        &idl,
        "GovernanceConfigUpdated",
        rust_layout!(GovernanceConfigUpdated; config, params),
    );
    event::<ProposalCreated>(
        &idl,
        "ProposalCreated",
        rust_layout!(ProposalCreated; proposal, id, proposer, target_program, title, created_at,
            expires_at, timelock_secs, account_count, data_len),
    );
    event::<VoteCast>(
        &idl,
        "VoteCast",
        rust_layout!(VoteCast; proposal, id, regulator, approve, approvals, rejections, threshold,
            quorum_at, status, timestamp),
    );
    event::<QuorumRecorded>(
        &idl,
        "QuorumRecorded",
        rust_layout!(QuorumRecorded; proposal, id, approvals, threshold, quorum_at),
    );
    event::<ProposalExecuted>(
        &idl,
        "ProposalExecuted",
        rust_layout!(ProposalExecuted; proposal, id, target_program, approvals, executed_at),
    );
    event::<ProposalCancelled>(
        &idl,
        "ProposalCancelled",
        rust_layout!(ProposalCancelled; proposal, id, cancelled_by, timestamp),
    );
    event::<ProposalClosed>(
        &idl,
        "ProposalClosed",
        rust_layout!(ProposalClosed; proposal, id, proposer, status, expired, lamports),
    );
    event::<CertificateRequested>(
        &idl,
        "CertificateRequested",
        rust_layout!(CertificateRequested; certificate, meter, owner, zone_id, source,
            generation_start, generation_end, volume_wh, requested_at),
    );
    event::<CertificateValidated>(
        &idl,
        "CertificateValidated",
        rust_layout!(CertificateValidated; certificate, issuer, volume_wh, emission_factor,
            co2_avoided_g, issued_at, expires_at),
    );
    event::<CertificateTransferred>(
        &idl,
        "CertificateTransferred",
        rust_layout!(CertificateTransferred; certificate, from, to, volume_wh, co2_avoided_g),
    );
    event::<CertificateSplit>(
        &idl,
        "CertificateSplit",
        rust_layout!(CertificateSplit; parent, child, split_index, owner, new_owner, volume_wh,
            co2_avoided_g, parent_volume_wh, parent_co2_avoided_g),
    );
    event::<CertificateRetired>(
        &idl,
        "CertificateRetired",
        rust_layout!(CertificateRetired; certificate, owner, retirement, volume_wh, co2_avoided_g),
    );
    event::<CertificateRevoked>(
        &idl,
        "CertificateRevoked",
        rust_layout!(CertificateRevoked; certificate, previous_status, reason, volume_wh, timestamp,
            status),
    );
    event::<CertificateExpired>(
        &idl,
        "CertificateExpired",
        rust_layout!(CertificateExpired; certificate, owner, volume_wh, timestamp),
    );
}

#[test]
fn errors_are_the_kit_errors_then_the_governance_errors() {
    assert_eq!(errors(&idl()), error_rows!(KitError, GovernanceError));
}

#[test]
fn registry_fields_read_as_enums_are_those_enums_in_the_registry_idl() {
    // The program reads Meter.source as the registry's EnergySource (its own type, whose values the
    // registry's tests pin); the registry's IDL must describe that field as the same enum.
    assert_eq!(
        field_type(&load("registry"), "Meter", "source"),
        defined("EnergySource")
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
