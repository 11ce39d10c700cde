//! Helpers for the programs' IDL pin tests (`programs/*/tests/idl.rs`): read an IDL from `idl/`,
//! find its items, and compute the borsh layout of its types so that a test compares it with the
//! `#[repr(C)]` Rust structs (`rust_layout!`). Host-only; the programs use it as a dev-dependency.
//!
//! Every helper panics on an IDL it cannot read (a missing item, an unknown type or seed kind, a
//! field after a variable-size one), so a malformed IDL fails the test that reads it.

pub use serde_json::{json, Value};

/// (name, offset) of each field, and the total borsh size: `None` when the last field is
/// variable-size (a `vec`, a struct ending in one, or an enum whose variants differ in size).
pub type Layout = (Vec<(String, usize)>, Option<usize>);

/// (name, writable, signer) of an instruction's account.
pub type Flags = (String, bool, bool);

/// `idl/<name>.json` of this workspace.
pub fn load(name: &str) -> Value {
    let path = format!("{}/../../idl/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not valid JSON: {e}"))
}

/// The item of `list` called `name`.
pub fn named<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|item| item["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing from the IDL"))
}

/// The names of the items of `list`, in order.
pub fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_string())
        .collect()
}

/// A JSON array of bytes.
pub fn bytes(value: &Value) -> Vec<u8> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect()
}

/// The IDL type `{ "defined": { "name": name } }`.
pub fn defined(name: &str) -> Value {
    json!({ "defined": { "name": name } })
}

/// The IDL type `{ "vec": { "defined": { "name": name } } }`.
pub fn vec_of(name: &str) -> Value {
    json!({ "vec": { "defined": { "name": name } } })
}

/// The IDL type of field `field` of struct type `ty`.
pub fn field_type(idl: &Value, ty: &str, field: &str) -> Value {
    named(&named(&idl["types"], ty)["type"]["fields"], field)["type"].clone()
}

/// Borsh size of an IDL type: `Some` for fixed-size types, `None` for a `vec`, an `option`, a struct
/// ending in one, or an enum whose variants differ in size.
pub fn type_size(idl: &Value, ty: &Value) -> Option<usize> {
    if let Some(simple) = ty.as_str() {
        return Some(match simple {
            "u8" | "i8" | "bool" => 1,
            "u16" | "i16" => 2,
            "u32" | "i32" => 4,
            "u64" | "i64" => 8,
            "u128" | "i128" => 16,
            "pubkey" => 32,
            other => panic!("unknown type {other}"),
        });
    }
    if let Some(element) = ty.get("vec") {
        // A u32 length, then the elements; resolve the element type so that a bad one fails here.
        type_size(idl, element);
        return None;
    }
    if let Some(inner) = ty.get("option") {
        // A one-byte tag, then the value only when the tag is 1.
        type_size(idl, inner);
        return None;
    }
    if let Some(array) = ty.get("array") {
        let element = type_size(idl, &array[0]).expect("array of a fixed-size type");
        return Some(element * array[1].as_u64().unwrap() as usize);
    }
    let name = ty["defined"]["name"].as_str().expect("defined type");
    let defined = &named(&idl["types"], name)["type"];
    match defined["kind"].as_str().unwrap() {
        "enum" => {
            let sizes: Vec<Option<usize>> = enum_variants(idl, name)
                .into_iter()
                .map(|(_, fields)| fields.1)
                .collect();
            // The variant index (one byte), then the variant's fields.
            match sizes.first() {
                Some(&Some(first)) if sizes.iter().all(|s| *s == Some(first)) => Some(1 + first),
                _ => None,
            }
        }
        "struct" => fields_layout(idl, &defined["fields"]).1,
        kind => panic!("unsupported kind {kind}"),
    }
}

/// The layout of a list of named fields (no field may follow a variable-size one, as its offset
/// would depend on the data).
pub fn fields_layout(idl: &Value, fields: &Value) -> Layout {
    let mut offset = Some(0);
    let mut layout = Vec::new();
    for field in fields.as_array().unwrap() {
        let name = field["name"].as_str().unwrap().to_string();
        let at = offset.unwrap_or_else(|| panic!("{name} follows a variable-size field"));
        layout.push((name, at));
        offset = type_size(idl, &field["type"]).map(|size| at + size);
    }
    (layout, offset)
}

/// The layout of struct type `name`.
pub fn type_layout(idl: &Value, name: &str) -> Layout {
    let ty = &named(&idl["types"], name)["type"];
    assert_eq!(ty["kind"], "struct", "{name}");
    fields_layout(idl, &ty["fields"])
}

/// (name, field layout) of each variant of enum `name`, in borsh index order. A unit variant has
/// no `fields`; a variant that has them names them (tuple variants are not used).
pub fn enum_variants(idl: &Value, name: &str) -> Vec<(String, Layout)> {
    let ty = &named(&idl["types"], name)["type"];
    assert_eq!(ty["kind"], "enum", "{name}");
    ty["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let layout = match v.get("fields") {
                None => (Vec::new(), Some(0)),
                Some(fields) => {
                    assert!(
                        fields
                            .as_array()
                            .unwrap()
                            .iter()
                            .all(|f| f.get("name").is_some()),
                        "{name}: tuple variants are not used"
                    );
                    fields_layout(idl, fields)
                }
            };
            (v["name"].as_str().unwrap().to_string(), layout)
        })
        .collect()
}

/// Variant names of enum `name`; each must be a unit variant (one byte on the wire).
pub fn unit_variants(idl: &Value, name: &str) -> Vec<String> {
    let ty = &named(&idl["types"], name)["type"];
    assert!(
        ty["variants"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v.get("fields").is_none()),
        "{name} has a variant with fields"
    );
    enum_variants(idl, name)
        .into_iter()
        .map(|(variant, _)| variant)
        .collect()
}

/// Every enum of `idl` has unit variants only (so each is one byte wherever it is used).
pub fn assert_unit_enums(idl: &Value) {
    for ty in idl["types"].as_array().unwrap() {
        if ty["type"]["kind"] == "enum" {
            unit_variants(idl, ty["name"].as_str().unwrap());
        }
    }
}

/// The Rust offsets of the named fields of `$ty`.
#[macro_export]
macro_rules! rust_fields {
    ($ty:ty; $($field:ident),* $(,)?) => {
        ::std::vec![$((
            ::std::string::ToString::to_string(::core::stringify!($field)),
            ::core::mem::offset_of!($ty, $field),
        )),*]
    };
}

/// The [`Layout`] of a fixed-size `#[repr(C)]` type: its fields' offsets and its size.
#[macro_export]
macro_rules! rust_layout {
    ($ty:ty; $($field:ident),* $(,)?) => {
        (
            $crate::rust_fields!($ty; $($field),*),
            ::core::option::Option::Some(::core::mem::size_of::<$ty>()),
        )
    };
}

/// The [`Layout`] of a record whose fixed fields are the Rust struct's bytes, followed by a borsh
/// `Vec` field `$vec`.
#[macro_export]
macro_rules! rust_layout_then_vec {
    ($ty:ty; $($field:ident),* ; $vec:ident) => {{
        let mut fields = $crate::rust_fields!($ty; $($field),*);
        fields.push((
            ::std::string::ToString::to_string(::core::stringify!($vec)),
            ::core::mem::size_of::<$ty>(),
        ));
        (fields, ::core::option::Option::None::<usize>)
    }};
}

/// Account `name` of `idl`: its discriminator is `discriminator`, its type's layout is `layout`,
/// and the discriminator plus that type take `len` bytes.
pub fn assert_account(idl: &Value, name: &str, discriminator: &[u8], len: usize, layout: Layout) {
    assert_eq!(
        bytes(&named(&idl["accounts"], name)["discriminator"]),
        discriminator,
        "{name}"
    );
    let idl_layout = type_layout(idl, name);
    assert_eq!(idl_layout, layout, "{name}");
    let size = idl_layout
        .1
        .unwrap_or_else(|| panic!("{name} has a fixed size"));
    assert_eq!(discriminator.len() + size, len, "{name}");
}

/// Event `name` of `idl`: its discriminator is `discriminator` and its type's layout is `layout`.
pub fn assert_event(idl: &Value, name: &str, discriminator: &[u8], layout: Layout) {
    assert_eq!(
        bytes(&named(&idl["events"], name)["discriminator"]),
        discriminator,
        "{name}"
    );
    assert_eq!(type_layout(idl, name), layout, "{name}");
}

/// (name, writable, signer) of each account of instruction `ix`.
pub fn account_flags(ix: &Value) -> Vec<Flags> {
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

/// An instruction's fixed accounts as the program reads them: (name, writable, signer).
pub type FixedAccounts = &'static [(&'static str, bool, bool)];

/// Each instruction named in `table` has exactly the accounts listed there, in that order.
pub fn assert_account_flags(idl: &Value, table: &[(&str, FixedAccounts)]) {
    for (name, expected) in table {
        assert_eq!(
            account_flags(named(&idl["instructions"], name)),
            flags(expected),
            "{name}"
        );
    }
}

/// Expected account flags, owned, to compare with [`account_flags`].
pub fn flags(list: &[(&str, bool, bool)]) -> Vec<Flags> {
    list.iter()
        .map(|(n, w, s)| (n.to_string(), *w, *s))
        .collect()
}

/// The seeds of an account's PDA: `("const", bytes)`, `("arg", name)` or `("account", name)`.
pub fn seeds(account: &Value) -> Vec<(String, Value)> {
    account["pda"]["seeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let kind = s["kind"].as_str().unwrap().to_string();
            let value = match kind.as_str() {
                "const" => Value::from(bytes(&s["value"])),
                "arg" | "account" => s["path"].clone(),
                other => panic!("unknown seed kind {other}"),
            };
            (kind, value)
        })
        .collect()
}

/// A constant seed, as [`seeds`] lists it.
pub fn constant(seed: &[u8]) -> (String, Value) {
    ("const".to_string(), Value::from(seed.to_vec()))
}

/// An `arg` or `account` seed, as [`seeds`] lists it.
pub fn path(kind: &str, name: &str) -> (String, Value) {
    (kind.to_string(), Value::from(name))
}

/// (code, name, message) of each error of `idl`, in order.
pub fn errors(idl: &Value) -> Vec<(u64, String, String)> {
    idl["errors"]
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
        .collect()
}

/// The (code, name, message) rows of the given error enums' `ALL` lists, in order, as [`errors`]
/// lists them (each enum has `ALL`, `code()`, `name()` and `message()`).
#[macro_export]
macro_rules! error_rows {
    ($($ty:ty),+ $(,)?) => {{
        let mut rows: ::std::vec::Vec<(u64, ::std::string::String, ::std::string::String)> =
            ::std::vec::Vec::new();
        $(
            rows.extend(<$ty>::ALL.iter().map(|e| {
                (e.code() as u64, e.name().into(), e.message().into())
            }));
        )+
        rows
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idl() -> Value {
        json!({
            "types": [
                { "name": "Side", "type": { "kind": "enum", "variants": [
                    { "name": "Bid" }, { "name": "Ask" } ] } },
                { "name": "Pair", "type": { "kind": "struct", "fields": [
                    { "name": "a", "type": "u16" }, { "name": "b", "type": "pubkey" } ] } },
                { "name": "Step", "type": { "kind": "enum", "variants": [
                    { "name": "One", "fields": [ { "name": "x", "type": "u64" } ] },
                    { "name": "Two", "fields": [ { "name": "p", "type": { "defined": { "name": "Pair" } } } ] } ] } },
                { "name": "Same", "type": { "kind": "enum", "variants": [
                    { "name": "A", "fields": [ { "name": "x", "type": "u32" } ] },
                    { "name": "B", "fields": [ { "name": "y", "type": "i32" } ] } ] } },
                { "name": "Fixed", "type": { "kind": "struct", "fields": [
                    { "name": "side", "type": { "defined": { "name": "Side" } } },
                    { "name": "pairs", "type": { "array": [ { "defined": { "name": "Pair" } }, 3 ] } },
                    { "name": "flag", "type": "bool" } ] } },
                { "name": "Tail", "type": { "kind": "struct", "fields": [
                    { "name": "n", "type": "u64" },
                    { "name": "steps", "type": { "vec": { "defined": { "name": "Step" } } } } ] } },
                { "name": "Bad", "type": { "kind": "struct", "fields": [
                    { "name": "v", "type": { "vec": "u8" } },
                    { "name": "after", "type": "u8" } ] } }
            ]
        })
    }

    #[test]
    fn fixed_layouts_sum_borsh_sizes() {
        let idl = idl();
        let expected = vec![
            ("side".to_string(), 0),
            ("pairs".to_string(), 1),
            ("flag".to_string(), 1 + 3 * 34),
        ];
        assert_eq!(type_layout(&idl, "Fixed"), (expected, Some(2 + 3 * 34)));
        assert_eq!(type_size(&idl, &defined("Same")), Some(5));
        assert_eq!(type_size(&idl, &"i128".into()), Some(16));
    }

    #[test]
    fn vecs_and_uneven_enums_have_no_size() {
        let idl = idl();
        assert_eq!(type_size(&idl, &defined("Step")), None);
        let tail = vec![("n".to_string(), 0), ("steps".to_string(), 8)];
        assert_eq!(type_layout(&idl, "Tail"), (tail, None));
        let variants = enum_variants(&idl, "Step");
        assert_eq!(variants[0].1, (vec![("x".to_string(), 0)], Some(8)));
        assert_eq!(variants[1].1, (vec![("p".to_string(), 0)], Some(34)));
        assert_eq!(type_size(&idl, &json!({"option": "u32"})), None);
    }

    #[test]
    #[should_panic(expected = "after follows a variable-size field")]
    fn a_field_after_a_vec_is_refused() {
        type_layout(&idl(), "Bad");
    }

    #[test]
    #[should_panic(expected = "unknown type u256")]
    fn an_unknown_type_is_refused() {
        type_size(&idl(), &"u256".into());
    }

    #[test]
    #[should_panic(expected = "Missing missing from the IDL")]
    fn a_missing_defined_type_is_refused() {
        type_size(&idl(), &defined("Missing"));
    }

    #[test]
    fn unit_enums() {
        let idl = idl();
        assert_eq!(unit_variants(&idl, "Side"), ["Bid", "Ask"]);
        let only_side = json!({ "types": [idl["types"][0].clone()] });
        assert_unit_enums(&only_side);
        let result = std::panic::catch_unwind(|| assert_unit_enums(&idl));
        assert!(result.is_err(), "Step has variants with fields");
    }

    #[test]
    fn seeds_and_flags() {
        let account = json!({ "name": "market", "writable": true, "pda": { "seeds": [
            { "kind": "const", "value": [109, 107, 116] },
            { "kind": "arg", "path": "zone_id" },
            { "kind": "account", "path": "quote_mint" } ] } });
        assert_eq!(
            seeds(&account),
            [
                constant(b"mkt"),
                path("arg", "zone_id"),
                path("account", "quote_mint")
            ]
        );
        let ix = json!({ "accounts": [account, { "name": "payer", "signer": true }] });
        assert_eq!(
            account_flags(&ix),
            flags(&[("market", true, false), ("payer", false, true)])
        );
    }

    #[repr(C)]
    struct Record {
        a: u64,
        b: u8,
    }

    #[derive(Clone, Copy)]
    enum Code {
        First = 6100,
    }

    impl Code {
        const ALL: [Code; 1] = [Code::First];
        fn code(self) -> u32 {
            self as u32
        }
        fn name(self) -> &'static str {
            "First"
        }
        fn message(self) -> &'static str {
            "the first"
        }
    }

    #[test]
    fn macros() {
        let layout: Layout = rust_layout!(Record; a, b);
        assert_eq!(
            layout,
            (vec![("a".to_string(), 0), ("b".to_string(), 8)], Some(16))
        );
        let then_vec: Layout = rust_layout_then_vec!(Record; a; items);
        assert_eq!(then_vec.0[1], ("items".to_string(), 16));
        assert_eq!(then_vec.1, None);
        let idl = json!({ "errors": [{ "code": 6100, "name": "First", "msg": "the first" }] });
        assert_eq!(errors(&idl), error_rows!(Code));
        let _ = Record { a: 0, b: 0 };
    }
}
