//! `idl/registry.json` is the wire-format source of truth for clients; this test pins it to the
//! program: address, discriminators, argument and account layouts (every field offset), events and
//! error codes/names/messages. Any drift on either side fails here.

use core::mem::{offset_of, size_of};
use registry::{
    errors::RegistryError,
    events::{ConfigInitialized, UserRegistered},
    instructions::{initialize, register_user},
    state::{Config, User, UserRole, UserStatus},
};
use serde_json::Value;
use solgrid_program_kit::{account::AccountLayout, discriminator, event::Event, KitError};

fn idl() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../idl/registry.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read idl/registry.json"))
        .expect("valid JSON")
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

#[test]
fn address_and_metadata() {
    let idl = idl();
    assert_eq!(idl["address"], registry::ID.to_string());
    assert_eq!(idl["metadata"]["name"], "registry");
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
    assert_eq!(names, ["initialize", "register_user"]);

    let init = named(&idl["instructions"], "initialize");
    assert_eq!(
        bytes(&init["discriminator"]),
        initialize::DISCRIMINATOR.to_le_bytes()
    );
    assert_eq!(
        init["accounts"].as_array().unwrap().len(),
        initialize::ACCOUNTS_LEN
    );
    let (args, size) = fields_layout(&idl, &init["args"]);
    assert_eq!(
        (args, size),
        rust_layout!(initialize::InitializeArgs; max_meters_per_user, max_reading_age_secs)
    );
    assert_eq!(discriminator::LEN + size, initialize::DATA_LEN);

    let register = named(&idl["instructions"], "register_user");
    assert_eq!(
        bytes(&register["discriminator"]),
        register_user::DISCRIMINATOR.to_le_bytes()
    );
    assert_eq!(
        register["accounts"].as_array().unwrap().len(),
        register_user::ACCOUNTS_LEN
    );
    let (args, size) = fields_layout(&idl, &register["args"]);
    assert_eq!(
        (args, size),
        rust_layout!(register_user::RegisterUserArgs; role)
    );
    assert_eq!(discriminator::LEN + size, register_user::DATA_LEN);
}

#[test]
fn pda_seeds_match_the_program() {
    let idl = idl();
    let init = named(&idl["instructions"], "initialize");
    let config_seeds = &named(&init["accounts"], "config")["pda"]["seeds"];
    assert_eq!(
        bytes(&config_seeds[0]["value"]),
        registry::state::CONFIG_SEED
    );
    let register = named(&idl["instructions"], "register_user");
    let user_seeds = &named(&register["accounts"], "user")["pda"]["seeds"];
    assert_eq!(bytes(&user_seeds[0]["value"]), registry::state::USER_SEED);
    assert_eq!(user_seeds[1]["path"], "authority");
    let program_data = &named(&init["accounts"], "program_data")["pda"];
    assert_eq!(
        bytes(&program_data["seeds"][0]["value"]),
        registry::ID.to_bytes()
    );
    assert_eq!(
        bytes(&program_data["program"]["value"]),
        solgrid_program_kit::loader_v3::LOADER_V3_ID.to_bytes()
    );
}

#[test]
fn accounts() {
    let idl = idl();
    assert_eq!(
        bytes(&named(&idl["accounts"], "Config")["discriminator"]),
        Config::DISCRIMINATOR
    );
    assert_eq!(
        bytes(&named(&idl["accounts"], "User")["discriminator"]),
        User::DISCRIMINATOR
    );
    assert_eq!(
        type_layout(&idl, "Config"),
        rust_layout!(Config; authority, pending_authority, user_count, zone_count, meter_count,
            max_meters_per_user, max_reading_age_secs, bump, reserved)
    );
    assert_eq!(
        type_layout(&idl, "User"),
        rust_layout!(User; authority, role, status, bump, zone_id, meter_count, user_index, registered_at, reserved)
    );
    assert_eq!(
        discriminator::LEN + type_layout(&idl, "Config").1,
        Config::LEN
    );
    assert_eq!(discriminator::LEN + type_layout(&idl, "User").1, User::LEN);
}

#[test]
fn enums() {
    let idl = idl();
    let variants = |name: &str| -> Vec<String> {
        named(&idl["types"], name)["type"]["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(variants("UserRole"), ["Consumer", "Producer", "Prosumer"]);
    for (index, role) in [UserRole::Consumer, UserRole::Producer, UserRole::Prosumer]
        .iter()
        .enumerate()
    {
        assert_eq!(*role as usize, index);
        assert_eq!(UserRole::try_from(index as u8).unwrap(), *role);
    }
    assert!(UserRole::try_from(3).is_err());
    assert_eq!(variants("UserStatus"), ["Active", "Suspended"]);
    assert_eq!(
        (UserStatus::Active as u8, UserStatus::Suspended as u8),
        (0, 1)
    );
}

#[test]
fn events() {
    let idl = idl();
    assert_eq!(
        bytes(&named(&idl["events"], "ConfigInitialized")["discriminator"]),
        ConfigInitialized::DISCRIMINATOR
    );
    assert_eq!(
        bytes(&named(&idl["events"], "UserRegistered")["discriminator"]),
        UserRegistered::DISCRIMINATOR
    );
    assert_eq!(
        type_layout(&idl, "ConfigInitialized"),
        rust_layout!(ConfigInitialized; config, authority, max_meters_per_user, max_reading_age_secs, timestamp)
    );
    assert_eq!(
        type_layout(&idl, "UserRegistered"),
        rust_layout!(UserRegistered; user, authority, role, user_index, timestamp)
    );
}

#[test]
fn errors_are_the_kit_errors_then_the_registry_errors() {
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
            RegistryError::ALL
                .iter()
                .map(|e| (e.code() as u64, e.name().into(), e.message().into())),
        )
        .collect();
    assert_eq!(listed, expected);
}
