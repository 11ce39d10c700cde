//! `idl/registry.json` is the wire-format source of truth for clients; this test pins it to the
//! program: address, discriminators, argument and account layouts (every field offset), events and
//! error codes/names/messages. Any drift on either side fails here.

use registry::{errors::RegistryError, events::*, instructions::*, logic::Reading, state::*};
use solgrid_idl_check::{
    assert_account, assert_account_flags, assert_event, assert_unit_enums, bytes, error_rows,
    errors, fields_layout, json, load, named, names, rust_fields, rust_layout, type_layout,
    FixedAccounts, Layout, Value,
};
use solgrid_program_kit::{account::AccountLayout, discriminator, event::Event, KitError};

fn idl() -> Value {
    load("registry")
}

#[test]
fn address_and_metadata() {
    let idl = idl();
    assert_eq!(idl["address"], registry::ID.to_string());
    assert_eq!(idl["metadata"]["name"], "registry");
    assert_eq!(idl["metadata"]["spec"], "0.1.0");
    assert_eq!(idl["metadata"]["version"], env!("CARGO_PKG_VERSION"));
}

/// (name, discriminator, fixed accounts, data length) of every instruction, in IDL order.
fn program_instructions() -> Vec<(&'static str, u64, usize, Option<usize>)> {
    vec![
        (
            "initialize",
            initialize::DISCRIMINATOR,
            initialize::ACCOUNTS_LEN,
            Some(initialize::DATA_LEN),
        ),
        (
            "propose_authority",
            propose_authority::DISCRIMINATOR,
            propose_authority::ACCOUNTS_LEN,
            Some(propose_authority::DATA_LEN),
        ),
        (
            "accept_authority",
            accept_authority::DISCRIMINATOR,
            accept_authority::ACCOUNTS_LEN,
            Some(accept_authority::DATA_LEN),
        ),
        (
            "set_regulators",
            set_regulators::DISCRIMINATOR,
            set_regulators::ACCOUNTS_LEN,
            Some(set_regulators::DATA_LEN),
        ),
        (
            "update_limits",
            update_limits::DISCRIMINATOR,
            update_limits::ACCOUNTS_LEN,
            Some(update_limits::DATA_LEN),
        ),
        (
            "set_settlement_authority",
            set_settlement_authority::DISCRIMINATOR,
            set_settlement_authority::ACCOUNTS_LEN,
            Some(set_settlement_authority::DATA_LEN),
        ),
        (
            "create_zone",
            create_zone::DISCRIMINATOR,
            create_zone::ACCOUNTS_LEN,
            Some(create_zone::DATA_LEN),
        ),
        (
            "set_zone_status",
            set_zone_status::DISCRIMINATOR,
            set_zone_status::ACCOUNTS_LEN,
            Some(set_zone_status::DATA_LEN),
        ),
        (
            "register_user",
            register_user::DISCRIMINATOR,
            register_user::ACCOUNTS_LEN,
            Some(register_user::DATA_LEN),
        ),
        (
            "verify_user",
            verify_user::DISCRIMINATOR,
            verify_user::ACCOUNTS_LEN,
            Some(verify_user::DATA_LEN),
        ),
        (
            "suspend_user",
            suspend_user::DISCRIMINATOR,
            suspend_user::ACCOUNTS_LEN,
            Some(suspend_user::DATA_LEN),
        ),
        (
            "reinstate_user",
            reinstate_user::DISCRIMINATOR,
            reinstate_user::ACCOUNTS_LEN,
            Some(reinstate_user::DATA_LEN),
        ),
        (
            "register_meter",
            register_meter::DISCRIMINATOR,
            register_meter::ACCOUNTS_LEN,
            Some(register_meter::DATA_LEN),
        ),
        (
            "activate_meter",
            activate_meter::DISCRIMINATOR,
            activate_meter::ACCOUNTS_LEN,
            Some(activate_meter::DATA_LEN),
        ),
        (
            "set_meter_status",
            set_meter_status::DISCRIMINATOR,
            set_meter_status::ACCOUNTS_LEN,
            Some(set_meter_status::DATA_LEN),
        ),
        (
            "rotate_device_key",
            rotate_device_key::DISCRIMINATOR,
            rotate_device_key::ACCOUNTS_LEN,
            Some(rotate_device_key::DATA_LEN),
        ),
        (
            "settle_meter",
            settle_meter::DISCRIMINATOR,
            settle_meter::ACCOUNTS_LEN,
            Some(settle_meter::DATA_LEN),
        ),
        (
            "submit_readings",
            submit_readings::DISCRIMINATOR,
            submit_readings::ACCOUNTS_LEN,
            None,
        ),
        (
            "set_governance",
            set_governance::DISCRIMINATOR,
            set_governance::ACCOUNTS_LEN,
            Some(set_governance::DATA_LEN),
        ),
        (
            "pause_market",
            pause_market::DISCRIMINATOR,
            pause_market::ACCOUNTS_LEN,
            Some(pause_market::DATA_LEN),
        ),
        (
            "pause_zone",
            pause_zone::DISCRIMINATOR,
            pause_zone::ACCOUNTS_LEN,
            Some(pause_zone::DATA_LEN),
        ),
        (
            "resume_market",
            resume_market::DISCRIMINATOR,
            resume_market::ACCOUNTS_LEN,
            Some(resume_market::DATA_LEN),
        ),
        (
            "resume_zone",
            resume_zone::DISCRIMINATOR,
            resume_zone::ACCOUNTS_LEN,
            Some(resume_zone::DATA_LEN),
        ),
        (
            "set_emission_factor",
            set_emission_factor::DISCRIMINATOR,
            set_emission_factor::ACCOUNTS_LEN,
            Some(set_emission_factor::DATA_LEN),
        ),
        (
            "certify_meter",
            certify_meter::DISCRIMINATOR,
            certify_meter::ACCOUNTS_LEN,
            Some(certify_meter::DATA_LEN),
        ),
    ]
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
    let expected = program_instructions();
    assert_eq!(names, expected.iter().map(|e| e.0).collect::<Vec<_>>());
    for (name, disc, accounts, data_len) in expected {
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
    assert_eq!(init["args"][0]["type"]["defined"]["name"], "Limits");
    let args = |name: &str| fields_layout(&idl, &named(&idl["instructions"], name)["args"]);
    assert_eq!(
        args("register_user"),
        rust_layout!(register_user::RegisterUserArgs; role, zone_id)
    );
    assert_eq!(
        args("create_zone"),
        rust_layout!(create_zone::CreateZoneArgs; zone_id, name, max_capacity_kw)
    );
    assert_eq!(
        args("register_meter"),
        rust_layout!(register_meter::RegisterMeterArgs; serial, device_key, source, capacity_w)
    );
    assert_eq!(
        args("set_regulators"),
        rust_layout!(set_regulators::SetRegulatorsArgs; regulators, regulator_count, regulator_threshold)
    );
    assert_eq!(
        args("set_governance"),
        rust_layout!(set_governance::SetGovernanceArgs; program, governance_bump, certificates_bump)
    );
    for name in ["pause_market", "pause_zone", "resume_market", "resume_zone"] {
        let ix = named(&idl["instructions"], name);
        assert_eq!(ix["args"][0]["name"], "flags", "{name}");
        assert_eq!(ix["args"][0]["type"], "u8", "{name}");
    }
    let factor = &named(&idl["instructions"], "set_emission_factor")["args"][0];
    assert_eq!(
        (&factor["name"], &factor["type"]),
        (&"g_per_kwh".into(), &"u32".into())
    );
    // submit_readings: a borsh Vec<Reading>.
    let submit = named(&idl["instructions"], "submit_readings");
    assert_eq!(
        submit["args"][0]["type"]["vec"]["defined"]["name"],
        "Reading"
    );
    assert_eq!(
        submit_readings::data_len(1),
        discriminator::LEN + 4 + type_layout(&idl, "Reading").1.unwrap()
    );
    assert_eq!(
        named(&submit["accounts"], "instructions_sysvar")["address"],
        pinocchio::sysvars::instructions::INSTRUCTIONS_ID.to_string()
    );
}

/// Every instruction's fixed accounts as the program reads them: (name, writable, signer). Remaining
/// accounts (co-signers, reading triples) are not in the IDL's lists.
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
        ],
    ),
    (
        "propose_authority",
        &[("authority", false, true), ("config", true, false)],
    ),
    (
        "accept_authority",
        &[("new_authority", false, true), ("config", true, false)],
    ),
    ("set_regulators", &[("config", true, false)]),
    ("update_limits", &[("config", true, false)]),
    ("set_settlement_authority", &[("config", true, false)]),
    (
        "create_zone",
        &[
            ("payer", true, true),
            ("config", true, false),
            ("zone", true, false),
            ("system_program", false, false),
        ],
    ),
    (
        "set_zone_status",
        &[("config", false, false), ("zone", true, false)],
    ),
    (
        "register_user",
        &[
            ("payer", true, true),
            ("authority", false, true),
            ("config", true, false),
            ("zone", false, false),
            ("user", true, false),
            ("system_program", false, false),
        ],
    ),
    (
        "verify_user",
        &[
            ("regulator", false, true),
            ("config", false, false),
            ("user", true, false),
        ],
    ),
    (
        "suspend_user",
        &[
            ("regulator", false, true),
            ("config", false, false),
            ("user", true, false),
        ],
    ),
    (
        "reinstate_user",
        &[
            ("regulator", false, true),
            ("config", false, false),
            ("user", true, false),
        ],
    ),
    (
        "register_meter",
        &[
            ("payer", true, true),
            ("owner", false, true),
            ("config", true, false),
            ("user", true, false),
            ("zone", false, false),
            ("meter", true, false),
            ("system_program", false, false),
        ],
    ),
    (
        "activate_meter",
        &[
            ("regulator", false, true),
            ("config", false, false),
            ("meter", true, false),
        ],
    ),
    (
        "set_meter_status",
        &[
            ("regulator", false, true),
            ("config", false, false),
            ("meter", true, false),
        ],
    ),
    (
        "rotate_device_key",
        &[("config", false, false), ("meter", true, false)],
    ),
    (
        "settle_meter",
        &[
            ("settlement_authority", false, true),
            ("config", false, false),
            ("meter", true, false),
            ("user", false, false),
            ("zone", false, false),
        ],
    ),
    (
        "submit_readings",
        &[
            ("config", false, false),
            ("instructions_sysvar", false, false),
        ],
    ),
    ("set_governance", &[("config", true, false)]),
    (
        "pause_market",
        &[("regulator", false, true), ("config", true, false)],
    ),
    (
        "pause_zone",
        &[
            ("regulator", false, true),
            ("config", false, false),
            ("zone", true, false),
        ],
    ),
    ("resume_market", &[("config", true, false)]),
    (
        "resume_zone",
        &[("config", false, false), ("zone", true, false)],
    ),
    (
        "set_emission_factor",
        &[("config", false, false), ("zone", true, false)],
    ),
    (
        "certify_meter",
        &[
            ("certificates_authority", false, true),
            ("config", false, false),
            ("meter", true, false),
            ("user", false, false),
            ("zone", false, false),
        ],
    ),
];

#[test]
fn account_names_and_flags_match_the_program() {
    let idl = idl();
    assert_eq!(
        idl["instructions"].as_array().unwrap().len(),
        ACCOUNT_FLAGS.len()
    );
    assert_account_flags(&idl, ACCOUNT_FLAGS);
}

#[test]
fn pda_seeds_match_the_program() {
    let idl = idl();
    let seeds = |ix: &str, acc: &str| {
        named(&named(&idl["instructions"], ix)["accounts"], acc)["pda"]["seeds"].clone()
    };
    assert_eq!(
        bytes(&seeds("initialize", "config")[0]["value"]),
        CONFIG_SEED
    );
    let user = seeds("register_user", "user");
    assert_eq!(bytes(&user[0]["value"]), USER_SEED);
    assert_eq!(user[1]["path"], "authority");
    let zone = seeds("create_zone", "zone");
    assert_eq!(bytes(&zone[0]["value"]), ZONE_SEED);
    assert_eq!(zone[1]["path"], "zone_id");
    let meter = seeds("register_meter", "meter");
    assert_eq!(bytes(&meter[0]["value"]), METER_SEED);
    assert_eq!(meter[1]["path"], "serial");
    // Existing accounts, from the fields that derived them: (instruction, account, seed, field path,
    // the account type that holds the field).
    let existing = [
        ("set_zone_status", "zone", ZONE_SEED, "zone.zone_id", "Zone"),
        ("pause_zone", "zone", ZONE_SEED, "zone.zone_id", "Zone"),
        ("resume_zone", "zone", ZONE_SEED, "zone.zone_id", "Zone"),
        (
            "set_emission_factor",
            "zone",
            ZONE_SEED,
            "zone.zone_id",
            "Zone",
        ),
        ("register_meter", "zone", ZONE_SEED, "user.zone_id", "User"),
        ("verify_user", "user", USER_SEED, "user.authority", "User"),
        ("suspend_user", "user", USER_SEED, "user.authority", "User"),
        (
            "reinstate_user",
            "user",
            USER_SEED,
            "user.authority",
            "User",
        ),
        (
            "activate_meter",
            "meter",
            METER_SEED,
            "meter.serial",
            "Meter",
        ),
        (
            "set_meter_status",
            "meter",
            METER_SEED,
            "meter.serial",
            "Meter",
        ),
        (
            "rotate_device_key",
            "meter",
            METER_SEED,
            "meter.serial",
            "Meter",
        ),
        ("settle_meter", "meter", METER_SEED, "meter.serial", "Meter"),
        ("settle_meter", "user", USER_SEED, "meter.owner", "Meter"),
        ("settle_meter", "zone", ZONE_SEED, "meter.zone_id", "Meter"),
        (
            "certify_meter",
            "meter",
            METER_SEED,
            "meter.serial",
            "Meter",
        ),
        ("certify_meter", "user", USER_SEED, "meter.owner", "Meter"),
        ("certify_meter", "zone", ZONE_SEED, "meter.zone_id", "Meter"),
    ];
    for (ix, acc, seed, path, account) in existing {
        let found = seeds(ix, acc);
        assert_eq!(bytes(&found[0]["value"]), seed, "{ix}.{acc}");
        assert_eq!(found[1]["kind"], "account", "{ix}.{acc}");
        assert_eq!(found[1]["path"], path, "{ix}.{acc}");
        assert_eq!(found[1]["account"], account, "{ix}.{acc}");
        assert_eq!(found.as_array().unwrap().len(), 2, "{ix}.{acc}");
    }
    let init = named(&idl["instructions"], "initialize");
    assert_eq!(
        named(&init["accounts"], "program")["address"],
        registry::ID.to_string()
    );
    let program_data = &named(&init["accounts"], "program_data")["pda"];
    assert_eq!(
        bytes(&program_data["seeds"][0]["value"]),
        registry::ID.to_bytes()
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
    let names: Vec<_> = idl["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].clone())
        .collect();
    assert_eq!(names, ["Config", "Meter", "User", "Zone"]);
    account_type::<Config>(
        &idl,
        "Config",
        rust_layout!(Config; authority, pending_authority,
        settlement_authority, regulators, regulator_count, regulator_threshold, bump, user_count,
        zone_count, meter_count, limits, governance_program, governance_bump, certificates_bump,
        paused, regulators_version, regulator_since, reserved),
    );
    account_type::<Zone>(
        &idl,
        "Zone",
        rust_layout!(Zone; zone_id, name, max_capacity_kw, status, bump, created_at, reopened_at,
        paused, emission_factor, reserved),
    );
    account_type::<User>(
        &idl,
        "User",
        rust_layout!(User; authority, role, status, bump, zone_id, meter_count, user_index, registered_at, verified_at, reserved),
    );
    account_type::<Meter>(
        &idl,
        "Meter",
        rust_layout!(Meter; serial, owner, user, zone_id, device_key,
        source, status, bump, capacity_w, last_window_end, produced_wh, consumed_wh, settled_wh,
        certified_wh, reading_count, registered_at, certificate_wh, certificate_until,
        first_window_start, reserved),
    );
    assert_eq!(
        type_layout(&idl, "Limits"),
        rust_layout!(Limits; max_meters_per_user, min_window_secs,
        max_window_secs, max_reading_age_secs, max_clock_skew_secs, capacity_tolerance_bps)
    );
    assert_eq!(
        type_layout(&idl, "Reading"),
        rust_layout!(Reading; window_start, window_secs, production_wh, consumption_wh)
    );
}

#[test]
fn enums() {
    let idl = idl();
    assert_unit_enums(&idl);
    let variants = |name: &str| names(&named(&idl["types"], name)["type"]["variants"]);
    fn check<E: Copy + core::fmt::Debug>(idl_names: Vec<String>, all: &[E], as_u8: fn(E) -> u8) {
        assert_eq!(idl_names.len(), all.len());
        for (index, (name, variant)) in idl_names.iter().zip(all).enumerate() {
            assert_eq!(as_u8(*variant) as usize, index);
            assert_eq!(&format!("{variant:?}"), name);
        }
    }
    check(variants("UserRole"), UserRole::ALL, |v| v as u8);
    check(variants("UserStatus"), UserStatus::ALL, |v| v as u8);
    check(variants("ZoneStatus"), ZoneStatus::ALL, |v| v as u8);
    check(variants("MeterStatus"), MeterStatus::ALL, |v| v as u8);
    check(variants("EnergySource"), EnergySource::ALL, |v| v as u8);
    assert!(UserRole::try_from(3).is_err() && EnergySource::try_from(5).is_err());
}

fn event<E: Event>(idl: &Value, name: &str, layout: Layout) {
    assert_event(idl, name, &E::DISCRIMINATOR, layout);
}

#[test]
fn events() {
    let idl = idl();
    assert_eq!(idl["events"].as_array().unwrap().len(), EVENT_COUNT);
    event::<ConfigInitialized>(
        &idl,
        "ConfigInitialized",
        rust_layout!(ConfigInitialized; config, authority, limits, timestamp),
    );
    event::<AuthorityProposed>(
        &idl,
        "AuthorityProposed",
        rust_layout!(AuthorityProposed; config, authority, pending_authority),
    );
    event::<AuthorityTransferred>(
        &idl,
        "AuthorityTransferred",
        rust_layout!(AuthorityTransferred; config, previous_authority, new_authority),
    );
    event::<RegulatorsSet>(
        &idl,
        "RegulatorsSet",
        rust_layout!(RegulatorsSet; config, regulators, regulator_count, regulator_threshold),
    );
    event::<LimitsUpdated>(
        &idl,
        "LimitsUpdated",
        rust_layout!(LimitsUpdated; config, limits),
    );
    event::<SettlementAuthoritySet>(
        &idl,
        "SettlementAuthoritySet",
        rust_layout!(SettlementAuthoritySet; config, settlement_authority),
    );
    event::<ZoneCreated>(
        &idl,
        "ZoneCreated",
        rust_layout!(ZoneCreated; zone, zone_id, name, max_capacity_kw, timestamp),
    );
    event::<ZoneStatusChanged>(
        &idl,
        "ZoneStatusChanged",
        rust_layout!(ZoneStatusChanged; zone, zone_id, old_status, new_status),
    );
    event::<UserRegistered>(
        &idl,
        "UserRegistered",
        rust_layout!(UserRegistered; user, authority, role, zone_id, user_index, timestamp),
    );
    event::<UserStatusChanged>(
        &idl,
        "UserStatusChanged",
        rust_layout!(UserStatusChanged; user, authority, regulator, old_status, new_status, timestamp),
    );
    event::<MeterRegistered>(
        &idl,
        "MeterRegistered",
        rust_layout!(MeterRegistered; meter, serial, owner, zone_id, device_key, source, capacity_w, timestamp),
    );
    event::<MeterStatusChanged>(
        &idl,
        "MeterStatusChanged",
        rust_layout!(MeterStatusChanged; meter, regulator, old_status, new_status, last_window_end),
    );
    event::<DeviceKeyRotated>(
        &idl,
        "DeviceKeyRotated",
        rust_layout!(DeviceKeyRotated; meter, old_key, new_key),
    );
    event::<ReadingAccepted>(
        &idl,
        "ReadingAccepted",
        rust_layout!(ReadingAccepted; meter, window_start, window_end, production_wh, consumption_wh, produced_wh, consumed_wh),
    );
    event::<MeterSettled>(
        &idl,
        "MeterSettled",
        rust_layout!(MeterSettled; meter, owner, amount_wh, settled_wh),
    );
    event::<GovernanceSet>(
        &idl,
        "GovernanceSet",
        rust_layout!(GovernanceSet; config, governance_program, governance_bump, certificates_bump),
    );
    // Paused and Resumed end in a borsh Option<u32> (`OptionZoneId`, whose value bytes are left off
    // for None): the fixed fields' offsets match, then the variable tail.
    event::<Paused>(
        &idl,
        "Paused",
        (rust_fields!(Paused; flags, paused, by, zone_id), None),
    );
    event::<Resumed>(
        &idl,
        "Resumed",
        (rust_fields!(Resumed; flags, paused, zone_id), None),
    );
    for name in ["Paused", "Resumed"] {
        assert_eq!(
            named(&named(&idl["types"], name)["type"]["fields"], "zone_id")["type"],
            json!({ "option": "u32" })
        );
    }
    event::<EmissionFactorSet>(
        &idl,
        "EmissionFactorSet",
        rust_layout!(EmissionFactorSet; zone, zone_id, old_factor, emission_factor),
    );
    event::<MeterCertified>(
        &idl,
        "MeterCertified",
        rust_layout!(MeterCertified; meter, from, to, volume_wh),
    );
}

const EVENT_COUNT: usize = 20;

#[test]
fn errors_are_the_kit_errors_then_the_registry_errors() {
    assert_eq!(errors(&idl()), error_rows!(KitError, RegistryError));
}
