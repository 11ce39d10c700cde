//! `idl/trading.json` is the wire-format source of truth for clients; this test pins it to the
//! program and to the order-book core it stores: address, discriminators, argument layouts (every
//! field offset against the `#[repr(C)]` argument structs), account flags and PDA seeds, the Market
//! account (the IDL's `Market` is `solgrid_order_book::MarketHeader`), the seats, orders and book
//! records, the enums, the events (fixed parts against the event structs, then the trailing `Vec`
//! where there is one), the `emit_cpi` tag and the error codes/names/messages. The periodic call
//! auction's `AuctionEpoch` account is `solgrid_order_book::auction::EpochHeader`, its `Level` and
//! `Settlement` the core's records. The registry's Config, Zone and User, which this program reads, are
//! the registry's own types (`solgrid_registry_layouts`, pinned to `idl/registry.json` by the
//! registry's tests); what is left to pin here is that the registry's IDL describes the fields compared with registry enums as
//! those enums. Any drift on either side fails here.

use core::mem::size_of;
use solgrid_idl_check::{
    assert_account, assert_account_flags, assert_event, bytes, constant, defined, enum_variants,
    error_rows, errors, field_type, fields_layout, json, load, named, names, path, rust_fields,
    rust_layout, rust_layout_then_vec, seeds, type_layout, type_size, unit_variants, vec_of,
    FixedAccounts, Layout, Value,
};
use solgrid_order_book::{
    auction::{
        EpochHeader, EpochState, Level, Settlement, SettlementOutcome, EPOCH_HEADER_LEN, LEVEL_LEN,
        MAX_SETTLE_CHUNK,
    },
    layout::{HEADER_LEN, ORDER_LEN, SEAT_LEN},
    Fill, MarketHeader, Order, OrderKind, OrderState, Removal, RemovalReason, Seat, SelfTradeMode,
    Side, MAX_MATCHES,
};
use solgrid_program_kit::{
    account::AccountLayout, checks::SYSTEM_PROGRAM_ID, deployer::LOADER_V3_ID, discriminator,
    event::Event, sha256, KitError,
};
use solgrid_registry_layouts::state::{CONFIG_SEED as REGISTRY_CONFIG_SEED, USER_SEED, ZONE_SEED};
use trading::{
    errors::TradingError,
    events::*,
    instructions::*,
    state::{
        Config, MarketStatus, CONFIG_SEED, EPOCH_DISCRIMINATOR, EPOCH_MIN_LEN, EPOCH_SEED,
        EVENT_AUTHORITY_SEED, MARKET_DISCRIMINATOR, MARKET_MIN_LEN, MARKET_SEED, TOKEN_PROGRAM_ID,
        VAULT_SEED,
    },
};

fn idl() -> Value {
    load("trading")
}

#[test]
fn address_and_metadata() {
    let idl = idl();
    assert_eq!(idl["address"], trading::ID.to_string());
    assert_eq!(idl["metadata"]["name"], "trading");
    assert_eq!(idl["metadata"]["spec"], "0.1.0");
    assert_eq!(idl["metadata"]["version"], env!("CARGO_PKG_VERSION"));
}

/// (name, discriminator, fixed accounts) of every instruction, in IDL order.
fn program_instructions() -> Vec<(&'static str, u64, usize)> {
    vec![
        (
            "initialize",
            initialize::DISCRIMINATOR,
            initialize::ACCOUNTS_LEN,
        ),
        (
            "create_market",
            create_market::DISCRIMINATOR,
            create_market::ACCOUNTS_LEN,
        ),
        (
            "update_market",
            update_market::DISCRIMINATOR,
            update_market::ACCOUNTS_LEN,
        ),
        (
            "set_market_maker",
            set_market_maker::DISCRIMINATOR,
            set_market_maker::ACCOUNTS_LEN,
        ),
        (
            "claim_seat",
            claim_seat::DISCRIMINATOR,
            claim_seat::ACCOUNTS_LEN,
        ),
        ("deposit", deposit::DISCRIMINATOR, deposit::ACCOUNTS_LEN),
        ("withdraw", withdraw::DISCRIMINATOR, withdraw::ACCOUNTS_LEN),
        (
            "place_order",
            place_order::DISCRIMINATOR,
            place_order::ACCOUNTS_LEN,
        ),
        (
            "cancel_order",
            cancel_order::DISCRIMINATOR,
            cancel_order::ACCOUNTS_LEN,
        ),
        (
            "prune_expired",
            prune_expired::DISCRIMINATOR,
            prune_expired::ACCOUNTS_LEN,
        ),
        (
            "collect_fees",
            collect_fees::DISCRIMINATOR,
            collect_fees::ACCOUNTS_LEN,
        ),
        (
            "grow_market",
            grow_market::DISCRIMINATOR,
            grow_market::ACCOUNTS_LEN,
        ),
        (
            "place_auction_order",
            place_auction_order::DISCRIMINATOR,
            place_auction_order::ACCOUNTS_LEN,
        ),
        (
            "cancel_auction_order",
            cancel_auction_order::DISCRIMINATOR,
            cancel_auction_order::ACCOUNTS_LEN,
        ),
        (
            "clear_epoch",
            clear_epoch::DISCRIMINATOR,
            clear_epoch::ACCOUNTS_LEN,
        ),
        (
            "settle_epoch",
            settle_epoch::DISCRIMINATOR,
            settle_epoch::ACCOUNTS_LEN,
        ),
    ]
}

#[test]
fn instructions() {
    let idl = idl();
    let expected = program_instructions();
    assert_eq!(
        names(&idl["instructions"]),
        expected.iter().map(|e| e.0).collect::<Vec<_>>()
    );
    for (name, disc, accounts) in &expected {
        let ix = named(&idl["instructions"], name);
        assert_eq!(bytes(&ix["discriminator"]), disc.to_le_bytes(), "{name}");
        assert_eq!(
            bytes(&ix["discriminator"]),
            discriminator::instruction(name),
            "{name}"
        );
        assert_eq!(
            ix["accounts"].as_array().unwrap().len(),
            *accounts,
            "{name}"
        );
    }
    // Distinct from each other and from the event instruction's tag (the dispatcher matches both).
    let mut all: Vec<u64> = expected.iter().map(|e| e.1).collect();
    all.push(EVENT_IX_TAG);
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), expected.len() + 1);
    // The entrypoint parses every fixed account plus the regulator cosigners.
    assert!(expected.iter().all(|e| e.2 <= trading::MAX_ACCOUNTS));
}

#[test]
fn argument_layouts_are_the_rust_argument_structs() {
    let idl = idl();
    let args = |name: &str| fields_layout(&idl, &named(&idl["instructions"], name)["args"]);
    for name in ["initialize", "claim_seat", "collect_fees"] {
        assert_eq!(
            args(name),
            (Vec::new(), Some(0)),
            "{name} takes no argument"
        );
    }
    assert_eq!(initialize::DATA_LEN, discriminator::LEN);
    assert_eq!(
        args("create_market"),
        rust_layout!(create_market::CreateMarketArgs; zone_id, params, epoch_secs)
    );
    let create = named(&idl["instructions"], "create_market");
    assert_eq!(
        named(&create["args"], "params")["type"]["defined"]["name"],
        "MarketParams"
    );
    assert_eq!(
        type_layout(&idl, "MarketParams"),
        rust_layout!(create_market::MarketParams; tick_size, lot_size_wh, min_order_lots,
            taker_fee_bps, maker_fee_bps, max_orders_per_epoch, fee_recipient)
    );
    assert_eq!(
        args("update_market"),
        rust_layout!(update_market::UpdateMarketArgs; tick_size, lot_size_wh, min_order_lots,
            taker_fee_bps, maker_fee_bps, max_orders_per_epoch, fee_recipient, status)
    );
    assert_eq!(
        args("set_market_maker"),
        rust_layout!(set_market_maker::SetMarketMakerArgs; trader, enabled)
    );
    // deposit and withdraw share `AmountArgs`.
    for name in ["deposit", "withdraw"] {
        assert_eq!(
            args(name),
            rust_layout!(deposit::AmountArgs; seat, amount),
            "{name}"
        );
    }
    assert_eq!(
        args("place_order"),
        rust_layout!(place_order::PlaceOrderArgs; seat, side, kind, self_trade, price, lots,
            client_order_id, expires_at, max_matches)
    );
    assert_eq!(
        args("cancel_order"),
        rust_layout!(cancel_order::CancelOrderArgs; seat, side, price, order_id)
    );
    assert_eq!(
        args("prune_expired"),
        rust_layout!(prune_expired::PruneExpiredArgs; max)
    );
    assert_eq!(
        args("grow_market"),
        rust_layout!(grow_market::GrowMarketArgs; extra_seats, extra_orders)
    );
    assert_eq!(
        args("place_auction_order"),
        rust_layout!(place_auction_order::PlaceAuctionOrderArgs; seat, side, price, lots,
            client_order_id, expires_at, rollover)
    );
    assert_eq!(
        args("cancel_auction_order"),
        rust_layout!(cancel_auction_order::CancelAuctionOrderArgs; seat, epoch, index, order_id)
    );
    assert_eq!(
        args("clear_epoch"),
        rust_layout!(clear_epoch::ClearEpochArgs; epoch)
    );
    assert_eq!(
        args("settle_epoch"),
        rust_layout!(settle_epoch::SettleEpochArgs; epoch, cursor, max_orders)
    );
    // The one-byte arguments the program decodes as enums are those enums in the IDL.
    let arg_type =
        |ix: &str, arg: &str| named(&named(&idl["instructions"], ix)["args"], arg)["type"].clone();
    assert_eq!(arg_type("update_market", "status"), defined("MarketStatus"));
    assert_eq!(arg_type("set_market_maker", "enabled"), "bool");
    assert_eq!(arg_type("place_order", "side"), defined("Side"));
    assert_eq!(arg_type("place_order", "kind"), defined("OrderKind"));
    assert_eq!(
        arg_type("place_order", "self_trade"),
        defined("SelfTradeMode")
    );
    assert_eq!(arg_type("cancel_order", "side"), defined("Side"));
    assert_eq!(arg_type("place_auction_order", "side"), defined("Side"));
    assert_eq!(arg_type("place_auction_order", "rollover"), "bool");
}

/// Every instruction's fixed accounts as the program documents and reads them: (name, writable,
/// signer). Remaining accounts (the regulator cosigners of create_market, update_market and
/// set_market_maker) are not in the IDL's lists.
const ACCOUNT_FLAGS: &[(&str, FixedAccounts)] = &[
    (
        "initialize",
        &[
            ("payer", true, true),
            ("authority", false, true),
            ("config", true, false),
            ("registry_program", false, false),
            ("base_mint", false, false),
            ("event_authority", false, false),
            ("program", false, false),
            ("program_data", false, false),
            ("system_program", false, false),
        ],
    ),
    (
        "create_market",
        &[
            ("payer", true, true),
            ("config", false, false),
            ("registry_config", false, false),
            ("zone", false, false),
            ("market", true, false),
            ("base_mint", false, false),
            ("quote_mint", false, false),
            ("base_vault", true, false),
            ("quote_vault", true, false),
            ("system_program", false, false),
            ("token_program", false, false),
            ("event_authority", false, false),
            ("program", false, false),
            ("epoch_0", true, false),
            ("epoch_1", true, false),
        ],
    ),
    (
        "update_market",
        &[
            ("config", false, false),
            ("registry_config", false, false),
            ("market", true, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
    (
        "set_market_maker",
        &[
            ("payer", true, true),
            ("config", false, false),
            ("registry_config", false, false),
            ("market", true, false),
            ("system_program", false, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
    (
        "claim_seat",
        &[
            ("trader", true, true),
            ("config", false, false),
            ("user", false, false),
            ("market", true, false),
            ("system_program", false, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
    (
        "deposit",
        &[
            ("trader", false, true),
            ("config", false, false),
            ("user", false, false),
            ("market", true, false),
            ("source", true, false),
            ("vault", true, false),
            ("token_program", false, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
    (
        "withdraw",
        &[
            ("trader", false, true),
            ("config", false, false),
            ("market", true, false),
            ("vault", true, false),
            ("destination", true, false),
            ("token_program", false, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
    (
        "place_order",
        &[
            ("trader", true, true),
            ("config", false, false),
            ("registry_config", false, false),
            ("user", false, false),
            ("zone", false, false),
            ("market", true, false),
            ("system_program", false, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
    (
        "cancel_order",
        &[
            ("trader", false, true),
            ("config", false, false),
            ("market", true, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
    (
        "prune_expired",
        &[
            ("config", false, false),
            ("market", true, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
    (
        "collect_fees",
        &[
            ("fee_recipient", false, true),
            ("config", false, false),
            ("market", true, false),
            ("quote_vault", true, false),
            ("destination", true, false),
            ("token_program", false, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
    (
        "grow_market",
        &[
            ("payer", true, true),
            ("config", false, false),
            ("market", true, false),
            ("system_program", false, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
    (
        "place_auction_order",
        &[
            ("trader", true, true),
            ("config", false, false),
            ("registry_config", false, false),
            ("user", false, false),
            ("zone", false, false),
            ("market", true, false),
            ("epoch_0", true, false),
            ("epoch_1", true, false),
            ("system_program", false, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
    (
        "cancel_auction_order",
        &[
            ("trader", false, true),
            ("config", false, false),
            ("registry_config", false, false),
            ("zone", false, false),
            ("market", true, false),
            ("epoch_account", true, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
    (
        "clear_epoch",
        &[
            ("config", false, false),
            ("registry_config", false, false),
            ("zone", false, false),
            ("market", true, false),
            ("epoch_account", true, false),
            ("other_epoch_account", false, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
    (
        "settle_epoch",
        &[
            ("payer", true, true),
            ("config", false, false),
            ("market", true, false),
            ("epoch_account", true, false),
            ("next_epoch_account", true, false),
            ("system_program", false, false),
            ("event_authority", false, false),
            ("program", false, false),
        ],
    ),
];

#[test]
fn account_names_and_flags_match_the_program() {
    let idl = idl();
    assert_eq!(
        names(&idl["instructions"]),
        ACCOUNT_FLAGS.iter().map(|e| e.0).collect::<Vec<_>>()
    );
    assert_account_flags(&idl, ACCOUNT_FLAGS);
}

#[test]
fn fixed_addresses_and_pda_seeds_match_the_program() {
    let idl = idl();
    for ix in idl["instructions"].as_array().unwrap() {
        let ix_name = ix["name"].as_str().unwrap();
        for account in ix["accounts"].as_array().unwrap() {
            let name = account["name"].as_str().unwrap();
            let expected_seeds = match (ix_name, name) {
                (_, "config") => Some(vec![constant(CONFIG_SEED)]),
                (_, "event_authority") => Some(vec![constant(EVENT_AUTHORITY_SEED)]),
                ("create_market", "market") => Some(vec![
                    constant(MARKET_SEED),
                    path("arg", "zone_id"),
                    path("account", "quote_mint"),
                ]),
                ("create_market", "base_vault") => Some(vec![
                    constant(VAULT_SEED),
                    path("account", "market"),
                    path("account", "base_mint"),
                ]),
                ("create_market", "quote_vault") => Some(vec![
                    constant(VAULT_SEED),
                    path("account", "market"),
                    path("account", "quote_mint"),
                ]),
                // Epoch accounts with a fixed slot (an instruction's epoch_account is the slot of its
                // `epoch` argument, which a seed cannot express: the program binds it by its header).
                ("create_market" | "place_auction_order", "epoch_0" | "epoch_1") => {
                    let slot = if name == "epoch_0" { 0u8 } else { 1u8 };
                    Some(vec![
                        constant(EPOCH_SEED),
                        path("account", "market"),
                        constant(&[slot]),
                    ])
                }
                ("initialize", "program_data") => Some(vec![constant(trading::ID.as_ref())]),
                // The registry's PDAs, under the registry this deployment trusts.
                (_, "registry_config") => Some(vec![constant(REGISTRY_CONFIG_SEED)]),
                (_, "user") => Some(vec![constant(USER_SEED), path("account", "trader")]),
                ("create_market", "zone") => {
                    Some(vec![constant(ZONE_SEED), path("arg", "zone_id")])
                }
                (_, "zone") => Some(vec![constant(ZONE_SEED), path("account", "market.zone_id")]),
                // An existing market, from its own header.
                (_, "market") => Some(vec![
                    constant(MARKET_SEED),
                    path("account", "market.zone_id"),
                    path("account", "market.quote_mint"),
                ]),
                _ => None,
            };
            let registry_pda = matches!(name, "registry_config" | "user" | "zone");
            match expected_seeds {
                Some(expected) => {
                    assert_eq!(seeds(account), expected, "{ix_name}.{name}");
                    let program = account["pda"].get("program");
                    if name == "program_data" {
                        assert_eq!(
                            bytes(&program.unwrap()["value"]),
                            LOADER_V3_ID.to_bytes(),
                            "{ix_name}.{name}"
                        );
                    } else if registry_pda {
                        assert_eq!(
                            program.unwrap(),
                            &json!({"kind": "account", "path": "config.registry_program", "account": "Config"}),
                            "{ix_name}.{name}"
                        );
                    } else {
                        assert!(program.is_none(), "{ix_name}.{name}");
                    }
                }
                None => assert!(account.get("pda").is_none(), "{ix_name}.{name}"),
            }
            match name {
                "token_program" => {
                    assert_eq!(account["address"], TOKEN_PROGRAM_ID.to_string())
                }
                "system_program" => {
                    assert_eq!(account["address"], SYSTEM_PROGRAM_ID.to_string())
                }
                "program" => assert_eq!(account["address"], trading::ID.to_string()),
                _ => assert!(account.get("address").is_none(), "{ix_name}.{name}"),
            }
        }
    }
    // A `u32` arg seed is its little-endian bytes in Anchor, as the program derives the market.
    let create = named(&idl["instructions"], "create_market");
    assert_eq!(named(&create["args"], "zone_id")["type"], "u32");
}

#[test]
fn accounts() {
    let idl = idl();
    assert_eq!(
        names(&idl["accounts"]),
        ["Config", "Market", "AuctionEpoch"]
    );
    assert_account(
        &idl,
        "Config",
        &Config::DISCRIMINATOR,
        Config::LEN,
        rust_layout!(Config; authority, registry_program, base_mint, event_authority, bump,
            event_authority_bump, reserved),
    );

    // The Market account: the discriminator, then the order book's header (then its seats and
    // orders, which the IDL describes as the `Seat` and `Order` types).
    assert_eq!(
        bytes(&named(&idl["accounts"], "Market")["discriminator"]),
        MARKET_DISCRIMINATOR
    );
    assert_eq!(MARKET_DISCRIMINATOR, discriminator::account("Market"));
    let market = type_layout(&idl, "Market");
    assert_eq!(
        market,
        rust_layout!(MarketHeader; base_mint, quote_mint, base_vault, quote_vault, zone,
            registry_program, fee_recipient, tick_size, lot_size_wh, base_atoms_per_lot,
            quote_per_lot_tick, min_order_lots, next_order_id, fees_accrued, fees_collected,
            base_volume, quote_volume, trade_count, created_at, zone_id, max_orders_per_epoch,
            seat_count, seat_capacity, bid_count, ask_count, order_capacity, taker_fee_bps,
            maker_fee_bps, status, bump, base_vault_bump, quote_vault_bump, quote_decimals,
            padding, epoch_secs, auction_orders, last_clearing_price, last_settled_epoch,
            auctions_settled, epoch_bumps, reserved)
    );
    assert_eq!(market.1, Some(HEADER_LEN));
    assert_eq!(discriminator::LEN + HEADER_LEN, MARKET_MIN_LEN);
    let seat = type_layout(&idl, "Seat");
    assert_eq!(
        seat,
        rust_layout!(Seat; trader, base_free, base_locked, quote_free, quote_locked,
            last_client_order_id, epoch, orders_in_epoch, open_orders, market_maker, padding)
    );
    assert_eq!(seat.1, Some(SEAT_LEN));
    let order = type_layout(&idl, "Order");
    assert_eq!(
        order,
        rust_layout!(Order; price, order_id, lots, initial_lots, client_order_id, expires_at,
            seat, side, flags, maker_fee_bps)
    );
    assert_eq!(order.1, Some(ORDER_LEN));
    // The byte fields the book stores as enums are those enums in the IDL.
    assert_eq!(
        field_type(&idl, "Market", "status"),
        defined("MarketStatus")
    );
    assert_eq!(field_type(&idl, "Order", "side"), defined("Side"));
    assert_eq!(field_type(&idl, "Seat", "market_maker"), "bool");

    // The epoch account of a periodic market: the discriminator, then the core's epoch header
    // (then its levels and orders, the IDL's `Level` and `Order`).
    assert_eq!(EPOCH_DISCRIMINATOR, discriminator::account("AuctionEpoch"));
    assert_account(
        &idl,
        "AuctionEpoch",
        &EPOCH_DISCRIMINATOR,
        EPOCH_MIN_LEN,
        rust_layout!(EpochHeader; market, epoch, starts_at, ends_at, reference_price,
            clearing_price, volume_lots, demand_lots, supply_lots, total_bid_lots, total_ask_lots,
            bid_marginal_left, ask_marginal_left, bid_marginal_price, ask_marginal_price,
            base_delivered, base_received, quote_paid, quote_received, fees, cleared_at,
            settled_at, order_count, live_orders, level_count, region_len, cursor, matched_orders,
            rolled_orders, rolled_in, slot, state, bump, padding, reserved),
    );
    assert_eq!(discriminator::LEN + EPOCH_HEADER_LEN, EPOCH_MIN_LEN);
    assert_eq!(
        field_type(&idl, "AuctionEpoch", "state"),
        defined("EpochState")
    );
    let level = type_layout(&idl, "Level");
    assert_eq!(level, rust_layout!(Level; price, bid_lots, ask_lots));
    assert_eq!(level.1, Some(LEVEL_LEN));
}

fn removal_fields() -> Vec<(String, usize)> {
    rust_fields!(Removal; trader, order_id, client_order_id, price, lots, remaining_lots,
        base_released, quote_released, side, reason)
}

#[test]
fn book_records() {
    let idl = idl();
    // `Removal` is the first `Removal::BORSH_LEN` bytes of the book's record (what the program
    // copies into events); the rest of the Rust struct is alignment padding.
    assert_eq!(
        type_layout(&idl, "Removal"),
        (removal_fields(), Some(Removal::BORSH_LEN))
    );
    assert!(Removal::BORSH_LEN <= size_of::<Removal>());

    // `MatchStep` is a borsh enum: the variant index (`events::STEP_*`), then the record's bytes.
    let variants = enum_variants(&idl, "MatchStep");
    assert_eq!(
        variants.iter().map(|v| v.0.as_str()).collect::<Vec<_>>(),
        ["Fill", "Removal"]
    );
    assert_eq!(STEP_FILL, 0);
    assert_eq!(STEP_REMOVAL, 1);
    assert_eq!(
        variants[STEP_FILL as usize].1,
        rust_layout!(Fill; maker, maker_order_id, maker_client_order_id, price, lots,
            base_amount, quote_amount, maker_fee, taker_fee, maker_remaining_lots)
    );
    assert_eq!(variants[STEP_FILL as usize].1 .1, Some(Fill::BORSH_LEN));
    assert_eq!(
        variants[STEP_REMOVAL as usize].1,
        (removal_fields(), Some(Removal::BORSH_LEN))
    );
    // The variant and the standalone type are the same fields (names, types, docs).
    let match_step = &named(&idl["types"], "MatchStep")["type"]["variants"];
    assert_eq!(
        named(match_step, "Removal")["fields"],
        named(&idl["types"], "Removal")["type"]["fields"]
    );
    // The variants differ in size, so the enum has none.
    assert_eq!(type_size(&idl, &defined("MatchStep")), None);

    // `Settlement` is the first `Settlement::BORSH_LEN` bytes of the core's record (what the
    // program copies into `EpochSettled`).
    assert_eq!(
        type_layout(&idl, "Settlement"),
        (
            rust_fields!(Settlement; trader, order_id, client_order_id, price, filled_lots,
                base_amount, quote_amount, fee, base_released, quote_released, remaining_lots,
                index, rolled_index, side, outcome),
            Some(Settlement::BORSH_LEN)
        )
    );
    assert!(Settlement::BORSH_LEN <= size_of::<Settlement>());
    assert_eq!(field_type(&idl, "Settlement", "side"), defined("Side"));
    assert_eq!(
        field_type(&idl, "Settlement", "outcome"),
        defined("SettlementOutcome")
    );
}

/// The IDL's variants are, in index order, the Rust enum's variants with the same names: `from_u8`
/// accepts exactly their indices, and `all` (the enum's own list, where it has one) lists them.
fn check_enum<E: Copy + core::fmt::Debug + PartialEq>(
    idl_names: Vec<String>,
    from_u8: impl Fn(u8) -> Option<E>,
    as_u8: fn(E) -> u8,
    all: Option<&[E]>,
) {
    let rust: Vec<E> = (0..=u8::MAX).filter_map(&from_u8).collect();
    assert_eq!(
        idl_names,
        rust.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>()
    );
    for (index, variant) in rust.iter().enumerate() {
        assert_eq!(as_u8(*variant) as usize, index, "{variant:?}");
    }
    if let Some(all) = all {
        assert_eq!(all, rust.as_slice());
    }
}

#[test]
fn enums() {
    let idl = idl();
    check_enum(
        unit_variants(&idl, "Side"),
        Side::from_u8,
        |v| v as u8,
        Some(Side::ALL),
    );
    check_enum(
        unit_variants(&idl, "OrderKind"),
        OrderKind::from_u8,
        |v| v as u8,
        Some(OrderKind::ALL),
    );
    check_enum(
        unit_variants(&idl, "SelfTradeMode"),
        SelfTradeMode::from_u8,
        |v| v as u8,
        Some(SelfTradeMode::ALL),
    );
    check_enum(
        unit_variants(&idl, "OrderState"),
        OrderState::from_u8,
        |v| v as u8,
        Some(OrderState::ALL),
    );
    check_enum(
        unit_variants(&idl, "RemovalReason"),
        RemovalReason::from_u8,
        |v| v as u8,
        Some(RemovalReason::ALL),
    );
    check_enum(
        unit_variants(&idl, "EpochState"),
        EpochState::from_u8,
        |v| v as u8,
        Some(EpochState::ALL),
    );
    check_enum(
        unit_variants(&idl, "SettlementOutcome"),
        SettlementOutcome::from_u8,
        |v| v as u8,
        Some(SettlementOutcome::ALL),
    );
    check_enum(
        unit_variants(&idl, "MarketStatus"),
        |v| MarketStatus::from_u8(v).ok(),
        |v| v as u8,
        None,
    );
}

#[test]
fn every_type_is_pinned() {
    let idl = idl();
    assert_eq!(
        names(&idl["types"]),
        [
            "Config",
            "Market",
            "MarketParams",
            "Seat",
            "Order",
            "AuctionEpoch",
            "Level",
            "Removal",
            "MatchStep",
            "Settlement",
            "Side",
            "OrderKind",
            "SelfTradeMode",
            "OrderState",
            "RemovalReason",
            "MarketStatus",
            "EpochState",
            "SettlementOutcome",
            "TradingInitialized",
            "MarketCreated",
            "MarketUpdated",
            "MarketMakerSet",
            "SeatClaimed",
            "Deposited",
            "Withdrawn",
            "OrderPlaced",
            "OrderCancelled",
            "OrdersExpired",
            "FeesCollected",
            "MarketGrown",
            "AuctionOrderPlaced",
            "AuctionOrderCancelled",
            "EpochCleared",
            "EpochSettled",
        ]
    );
}

fn event<E: Event>(idl: &Value, name: &str, layout: Layout) {
    assert_event(idl, name, &E::DISCRIMINATOR, layout);
    assert_eq!(E::DISCRIMINATOR, discriminator::event(name), "{name}");
}

#[test]
fn events() {
    let idl = idl();
    let mut listed = names(&idl["events"]);
    listed.sort();
    assert_eq!(
        listed,
        [
            "AuctionOrderCancelled",
            "AuctionOrderPlaced",
            "Deposited",
            "EpochCleared",
            "EpochSettled",
            "FeesCollected",
            "MarketCreated",
            "MarketGrown",
            "MarketMakerSet",
            "MarketUpdated",
            "OrderCancelled",
            "OrderPlaced",
            "OrdersExpired",
            "SeatClaimed",
            "TradingInitialized",
            "Withdrawn",
        ]
    );
    event::<TradingInitialized>(
        &idl,
        "TradingInitialized",
        rust_layout!(TradingInitialized; config, authority, registry_program, base_mint,
            event_authority, timestamp),
    );
    event::<MarketCreated>(
        &idl,
        "MarketCreated",
        rust_layout!(MarketCreated; market, zone_id, base_mint, quote_mint, base_vault,
            quote_vault, fee_recipient, tick_size, lot_size_wh, min_order_lots, taker_fee_bps,
            maker_fee_bps, max_orders_per_epoch, epoch_secs, timestamp),
    );
    event::<MarketUpdated>(
        &idl,
        "MarketUpdated",
        rust_layout!(MarketUpdated; market, fee_recipient, tick_size, lot_size_wh, min_order_lots,
            taker_fee_bps, maker_fee_bps, max_orders_per_epoch, status, timestamp),
    );
    event::<MarketMakerSet>(
        &idl,
        "MarketMakerSet",
        rust_layout!(MarketMakerSet; market, trader, seat, enabled, seat_created, timestamp),
    );
    event::<SeatClaimed>(
        &idl,
        "SeatClaimed",
        rust_layout!(SeatClaimed; market, trader, seat, timestamp),
    );
    event::<Deposited>(
        &idl,
        "Deposited",
        rust_layout!(Deposited; market, trader, seat, mint, amount, free_after, timestamp),
    );
    event::<Withdrawn>(
        &idl,
        "Withdrawn",
        rust_layout!(Withdrawn; market, trader, seat, mint, amount, free_after, destination,
            timestamp),
    );
    event::<OrderPlaced>(
        &idl,
        "OrderPlaced",
        rust_layout_then_vec!(OrderPlaced; market, trader, seat, order_id, client_order_id, side,
            kind, self_trade, price, lots, expires_at, filled_lots, base_traded, quote_traded,
            taker_fee, rested_lots, cancelled_lots, state, timestamp; steps),
    );
    event::<OrderCancelled>(
        &idl,
        "OrderCancelled",
        rust_layout!(OrderCancelled; market, trader, order_id, client_order_id, side, price, lots,
            base_released, quote_released, timestamp),
    );
    event::<OrdersExpired>(
        &idl,
        "OrdersExpired",
        rust_layout_then_vec!(OrdersExpired; market, timestamp; orders),
    );
    event::<FeesCollected>(
        &idl,
        "FeesCollected",
        rust_layout!(FeesCollected; market, recipient, destination, amount, timestamp),
    );
    event::<MarketGrown>(
        &idl,
        "MarketGrown",
        rust_layout!(MarketGrown; market, payer, extra_seats, extra_orders, seat_capacity,
            order_capacity, lamports_paid, timestamp),
    );

    event::<AuctionOrderPlaced>(
        &idl,
        "AuctionOrderPlaced",
        rust_layout!(AuctionOrderPlaced; market, trader, seat, epoch, index, order_id,
            client_order_id, side, price, lots, expires_at, rollover, locked, lamports_paid,
            timestamp),
    );
    event::<AuctionOrderCancelled>(
        &idl,
        "AuctionOrderCancelled",
        rust_layout!(AuctionOrderCancelled; market, trader, epoch, index, order_id,
            client_order_id, side, price, lots, base_released, quote_released, timestamp),
    );
    event::<EpochCleared>(
        &idl,
        "EpochCleared",
        rust_layout!(EpochCleared; market, zone_id, epoch, starts_at, ends_at, price, volume_lots,
            demand_lots, supply_lots, total_bid_lots, total_ask_lots, bid_marginal_price,
            bid_marginal_lots, ask_marginal_price, ask_marginal_lots, reference_price, orders,
            levels, timestamp),
    );
    event::<EpochSettled>(
        &idl,
        "EpochSettled",
        rust_layout_then_vec!(EpochSettled; market, payer, epoch, from_index, to_index, done,
            lamports_paid, timestamp; settlements),
    );

    // The trailing vectors hold the book's records.
    assert_eq!(
        field_type(&idl, "OrderPlaced", "steps"),
        vec_of("MatchStep")
    );
    assert_eq!(
        field_type(&idl, "OrdersExpired", "orders"),
        vec_of("Removal")
    );
    assert_eq!(
        field_type(&idl, "EpochSettled", "settlements"),
        vec_of("Settlement")
    );
    // Enum-typed event bytes.
    assert_eq!(field_type(&idl, "OrderPlaced", "side"), defined("Side"));
    assert_eq!(
        field_type(&idl, "OrderPlaced", "kind"),
        defined("OrderKind")
    );
    assert_eq!(
        field_type(&idl, "OrderPlaced", "self_trade"),
        defined("SelfTradeMode")
    );
    assert_eq!(
        field_type(&idl, "OrderPlaced", "state"),
        defined("OrderState")
    );
    assert_eq!(field_type(&idl, "OrderCancelled", "side"), defined("Side"));
    assert_eq!(
        field_type(&idl, "MarketUpdated", "status"),
        defined("MarketStatus")
    );
    assert_eq!(field_type(&idl, "MarketMakerSet", "enabled"), "bool");
    assert_eq!(field_type(&idl, "MarketMakerSet", "seat_created"), "bool");
    for event in ["AuctionOrderPlaced", "AuctionOrderCancelled"] {
        assert_eq!(field_type(&idl, event, "side"), defined("Side"), "{event}");
    }
    assert_eq!(field_type(&idl, "AuctionOrderPlaced", "rollover"), "bool");
    assert_eq!(field_type(&idl, "EpochSettled", "done"), "bool");
}

/// Anchor's `emit_cpi` tag: `EVENT_IX_TAG` is `sha256("anchor:event")[..8]` read as a big-endian
/// `u64` (0x1d9acb512ea545e4), and the event instruction's data starts with its little-endian bytes
/// (`EVENT_IX_TAG_LE`), i.e. the digest's first 8 bytes reversed: `e4 45 a5 2e 51 cb 9a 1d`.
#[test]
fn event_instruction_tag_is_anchors() {
    let digest = sha256::hashv(&[b"anchor:event"]);
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&digest[..8]);
    assert_eq!(EVENT_IX_TAG, u64::from_be_bytes(prefix));
    assert_eq!(EVENT_IX_TAG_LE, EVENT_IX_TAG.to_le_bytes());
    prefix.reverse();
    assert_eq!(EVENT_IX_TAG_LE, prefix);
    assert_eq!(
        EVENT_IX_TAG_LE,
        [0xe4, 0x45, 0xa5, 0x2e, 0x51, 0xcb, 0x9a, 0x1d]
    );
}

/// The largest event an instruction emits (tag, discriminator, fixed part, then `MAX_MATCHES` of
/// the largest vector entry), sized from the IDL, fits in one event instruction.
#[test]
fn the_largest_events_fit_in_one_event_instruction() {
    let idl = idl();
    let head = |name: &str| {
        let (fields, size) = type_layout(&idl, name);
        assert_eq!(size, None, "{name} ends in a vector");
        fields.last().unwrap().1
    };
    let largest_step = enum_variants(&idl, "MatchStep")
        .iter()
        .map(|(_, layout)| 1 + layout.1.unwrap())
        .max()
        .unwrap();
    let removal = type_layout(&idl, "Removal").1.unwrap();
    let prefix = EVENT_IX_TAG_LE.len() + discriminator::LEN;
    let placed = prefix + head("OrderPlaced") + 4 + MAX_MATCHES as usize * largest_step;
    let expired = prefix + head("OrdersExpired") + 4 + MAX_MATCHES as usize * removal;
    let settlement = type_layout(&idl, "Settlement").1.unwrap();
    let settled = prefix + head("EpochSettled") + 4 + MAX_SETTLE_CHUNK as usize * settlement;
    assert!(placed <= MAX_EVENT_DATA, "{placed} > {MAX_EVENT_DATA}");
    assert!(expired <= MAX_EVENT_DATA, "{expired} > {MAX_EVENT_DATA}");
    assert!(settled <= MAX_EVENT_DATA, "{settled} > {MAX_EVENT_DATA}");
}

#[test]
fn errors_are_the_kit_errors_then_the_trading_errors() {
    assert_eq!(errors(&idl()), error_rows!(KitError, TradingError));
}

#[test]
fn registry_fields_read_as_enums_are_those_enums_in_the_registry_idl() {
    // The program compares Zone.status with ZoneStatus, User.status with UserStatus and User.role
    // with UserRole (the registry's own types and enums, whose layouts and values the registry's
    // tests pin); the registry's IDL must describe those fields as the same enums.
    let registry = load("registry");
    assert_eq!(
        field_type(&registry, "Zone", "status"),
        defined("ZoneStatus")
    );
    assert_eq!(
        field_type(&registry, "User", "status"),
        defined("UserStatus")
    );
    assert_eq!(field_type(&registry, "User", "role"), defined("UserRole"));
}
