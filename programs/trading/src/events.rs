//! Events, emitted through one self-CPI per instruction in Anchor's `emit_cpi` wire format, so that
//! no event is lost to the runtime's 10 KB log limit however many fills an instruction makes.
//!
//! The program invokes itself with instruction data `EVENT_IX_TAG_LE ++ sha256("event:<Name>")[..8]
//! ++ borsh(event)` and two accounts: the event authority PDA `["__event_authority"]` (signer) and
//! Config (read-only, which records the authority's address). Anchor clients and the indexer read
//! the event from the inner instruction. Instructions that report many things (an order's fills and
//! the resting orders it removed, a prune) emit one event whose last field is a `Vec` of them.
//!
//! The handler of that instruction ([`handle`]) only accepts it signed by the event authority,
//! which only this program can sign for: nobody can forge an event of this program.
//!
//! The event bytes are assembled in the heap region (there is no allocator; the region is a plain
//! scratch buffer), never on the 4 KiB stack.

use core::mem::MaybeUninit;
use pinocchio::{
    address::address_eq,
    cpi::{invoke_signed_unchecked, CpiAccount, Seed, Signer},
    error::ProgramError,
    instruction::{InstructionAccount, InstructionView},
    AccountView, Address, ProgramResult,
};
use solgrid_order_book::{
    auction::{Settlement, SettlementSink},
    Fill, Removal, Sink,
};
use solgrid_program_kit::{
    checks, discriminator,
    event::Event,
    impl_pod,
    pod::{bytes_of, PodI64, PodU16, PodU32, PodU64},
    KitError,
};

use crate::{
    errors::TradingError,
    state::{self, EVENT_AUTHORITY_SEED},
};

/// Anchor's `EVENT_IX_TAG`: `sha256("anchor:event")[..8]` read as a big-endian u64; on the wire its
/// little-endian bytes ([`EVENT_IX_TAG_LE`]) start every event instruction.
pub const EVENT_IX_TAG: u64 = 0x1d9a_cb51_2ea5_45e4;
pub const EVENT_IX_TAG_LE: [u8; 8] = EVENT_IX_TAG.to_le_bytes();

/// Where an event's fields start: after the tag and the discriminator.
const HEAD_AT: usize = 16;

/// The runtime's limit on a CPI's instruction data.
pub const MAX_EVENT_DATA: usize = 10 * 1024;

/// Start of the SBF heap region, used as the event scratch buffer.
#[cfg(any(target_os = "solana", target_arch = "bpf"))]
const HEAP_START: usize = 0x3_0000_0000;

/// The accounts every instruction passes for its events.
pub struct EventAccounts<'a> {
    pub event_authority: &'a AccountView,
    pub config: &'a AccountView,
    pub event_authority_bump: u8,
}

impl<'a> EventAccounts<'a> {
    /// Checks `event_authority` against Config and `program` against `program_id` (the runtime
    /// only lets a program invoke a program account the instruction received).
    pub fn load(
        program_id: &Address,
        config: &'a AccountView,
        event_authority: &'a AccountView,
        program: &AccountView,
    ) -> Result<Self, ProgramError> {
        // SAFETY: Config is never written after `initialize`.
        let loaded = unsafe { state::config(program_id, config)? };
        if !address_eq(event_authority.address(), &loaded.event_authority)
            || !address_eq(program.address(), program_id)
        {
            return Err(TradingError::InvalidEventAuthority.into());
        }
        Ok(Self {
            event_authority,
            config,
            event_authority_bump: loaded.event_authority_bump,
        })
    }
}

/// The handler of the event instruction: accepts it only when the event authority signed (i.e.
/// when this program emitted it through a CPI), and does nothing else.
pub fn handle(program_id: &Address, accounts: &[AccountView]) -> ProgramResult {
    let [event_authority, config, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(event_authority)?;
    // SAFETY: Config is never written after `initialize`.
    let loaded = unsafe { state::config(program_id, config)? };
    if address_eq(event_authority.address(), &loaded.event_authority) {
        Ok(())
    } else {
        Err(TradingError::InvalidEventAuthority.into())
    }
}

/// One event being assembled: tag, discriminator, then borsh bytes.
pub struct EventBuffer {
    buffer: &'static mut [u8],
    len: usize,
}

impl EventBuffer {
    fn scratch() -> &'static mut [u8] {
        #[cfg(any(target_os = "solana", target_arch = "bpf"))]
        // SAFETY: the heap region is mapped for every program and this program has no allocator,
        // so nothing else uses it; one EventBuffer exists per instruction.
        unsafe {
            core::slice::from_raw_parts_mut(HEAP_START as *mut u8, MAX_EVENT_DATA)
        }
        #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
        {
            extern crate std;
            std::vec![0u8; MAX_EVENT_DATA].leak()
        }
    }

    /// Starts event `E` with its fixed fields.
    pub fn new<E: Event>(head: &E) -> Result<Self, ProgramError> {
        let mut buffer = Self {
            buffer: Self::scratch(),
            len: 0,
        };
        buffer.push(&EVENT_IX_TAG_LE)?;
        buffer.push(&E::DISCRIMINATOR)?;
        buffer.push(bytes_of(head))?;
        Ok(buffer)
    }

    /// Starts event `E` whose fixed fields are only known at the end ([`Self::finish_head`]),
    /// followed by a borsh vector whose entries are pushed meanwhile ([`Self::finish_vec`]).
    pub fn with_vec<E: Event>() -> Result<Self, ProgramError> {
        let mut buffer = Self {
            buffer: Self::scratch(),
            len: 0,
        };
        buffer.push(&EVENT_IX_TAG_LE)?;
        buffer.push(&E::DISCRIMINATOR)?;
        let head = core::mem::size_of::<E>();
        if HEAD_AT + head + 4 > buffer.buffer.len() {
            return Err(TradingError::EventTooLarge.into());
        }
        buffer.len = HEAD_AT + head + 4;
        Ok(buffer)
    }

    /// Writes the fixed fields of an event started with [`Self::with_vec`].
    pub fn finish_head<E: Event>(&mut self, head: &E) {
        let bytes = bytes_of(head);
        self.buffer[HEAD_AT..HEAD_AT + bytes.len()].copy_from_slice(bytes);
    }

    /// Writes the length of the vector of an event `E` started with [`Self::with_vec`].
    pub fn finish_vec<E: Event>(&mut self, count: u32) {
        let at = HEAD_AT + core::mem::size_of::<E>();
        self.buffer[at..at + 4].copy_from_slice(&count.to_le_bytes());
    }

    #[inline(always)]
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), ProgramError> {
        let end = self.len + bytes.len();
        if end > self.buffer.len() {
            return Err(TradingError::EventTooLarge.into());
        }
        self.buffer[self.len..end].copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    /// Emits the event through the self-CPI.
    pub fn emit(self, program_id: &Address, accounts: &EventAccounts) -> ProgramResult {
        let metas = [
            InstructionAccount::readonly_signer(accounts.event_authority.address()),
            InstructionAccount::readonly(accounts.config.address()),
        ];
        let ix = InstructionView {
            program_id,
            accounts: &metas,
            data: &self.buffer[..self.len],
        };
        let mut views = [const { MaybeUninit::<CpiAccount>::uninit() }; 2];
        CpiAccount::init_from_account_view(accounts.event_authority, &mut views[0]);
        CpiAccount::init_from_account_view(accounts.config, &mut views[1]);
        let bump = [accounts.event_authority_bump];
        let seeds = [Seed::from(EVENT_AUTHORITY_SEED), Seed::from(&bump)];
        // SAFETY: both views were initialised above in the order of `metas`; both accounts are
        // read-only in the CPI and the handler only reads them, so no borrow this program holds is
        // aliased by a write.
        unsafe {
            invoke_signed_unchecked(
                &ix,
                core::slice::from_raw_parts(views.as_ptr() as *const CpiAccount, views.len()),
                &[Signer::from(&seeds)],
            );
        }
        Ok(())
    }
}

/// Borsh variant index of `MatchStep::Fill` and `MatchStep::Removal`.
pub const STEP_FILL: u8 = 0;
pub const STEP_REMOVAL: u8 = 1;

/// Writes the book's records as `MatchStep` entries of the event's trailing vector.
pub struct StepWriter<'b> {
    pub buffer: &'b mut EventBuffer,
    pub count: u32,
}

impl StepWriter<'_> {
    #[inline(always)]
    fn step(&mut self, variant: u8, record: &[u8]) -> Result<(), solgrid_order_book::BookError> {
        self.buffer
            .push(&[variant])
            .and_then(|()| self.buffer.push(record))
            .map_err(|_| solgrid_order_book::BookError::EventsFull)?;
        self.count += 1;
        Ok(())
    }
}

impl Sink for StepWriter<'_> {
    #[inline(always)]
    fn fill(&mut self, fill: &Fill) -> Result<(), solgrid_order_book::BookError> {
        // SAFETY: `Fill` is `repr(C)`, all u64 and byte fields, no padding: its bytes are its borsh.
        let bytes = unsafe {
            core::slice::from_raw_parts(fill as *const Fill as *const u8, Fill::BORSH_LEN)
        };
        self.step(STEP_FILL, bytes)
    }

    #[inline(always)]
    fn removal(&mut self, removal: &Removal) -> Result<(), solgrid_order_book::BookError> {
        // SAFETY: `Removal` is `repr(C)`; its first BORSH_LEN bytes are its fields without padding.
        let bytes = unsafe {
            core::slice::from_raw_parts(removal as *const Removal as *const u8, Removal::BORSH_LEN)
        };
        self.step(STEP_REMOVAL, bytes)
    }
}

/// Writes removals as the entries of a `Vec<Removal>` (a prune reports nothing else).
pub struct RemovalWriter<'b> {
    pub buffer: &'b mut EventBuffer,
    pub count: u32,
}

impl Sink for RemovalWriter<'_> {
    fn fill(&mut self, _fill: &Fill) -> Result<(), solgrid_order_book::BookError> {
        // A prune never trades; reaching this is a broken invariant of the book.
        Err(solgrid_order_book::BookError::InvalidLayout)
    }

    fn removal(&mut self, removal: &Removal) -> Result<(), solgrid_order_book::BookError> {
        // SAFETY: as in `StepWriter::removal`.
        let bytes = unsafe {
            core::slice::from_raw_parts(removal as *const Removal as *const u8, Removal::BORSH_LEN)
        };
        self.buffer
            .push(bytes)
            .map_err(|_| solgrid_order_book::BookError::EventsFull)?;
        self.count += 1;
        Ok(())
    }
}

/// Writes settlement records as the entries of a `Vec<Settlement>` (`EpochSettled.settlements`).
pub struct SettlementWriter<'b> {
    pub buffer: &'b mut EventBuffer,
    pub count: u32,
}

impl SettlementSink for SettlementWriter<'_> {
    #[inline(always)]
    fn settlement(&mut self, settlement: &Settlement) -> Result<(), solgrid_order_book::BookError> {
        // SAFETY: `Settlement` is `repr(C)`; its first BORSH_LEN bytes are its fields without
        // padding (the core asserts it).
        let bytes = unsafe {
            core::slice::from_raw_parts(
                settlement as *const Settlement as *const u8,
                Settlement::BORSH_LEN,
            )
        };
        self.buffer
            .push(bytes)
            .map_err(|_| solgrid_order_book::BookError::EventsFull)?;
        self.count += 1;
        Ok(())
    }
}

/// Emits a fixed-size event.
pub fn emit<E: Event>(program_id: &Address, accounts: &EventAccounts, event: &E) -> ProgramResult {
    EventBuffer::new(event)?.emit(program_id, accounts)
}

macro_rules! event {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[repr(C)]
        pub struct $name { $($(#[$fdoc])* pub $field: $ty),* }
        impl_pod!($name { $($field: $ty),* });
        impl Event for $name {
            const DISCRIMINATOR: [u8; 8] = discriminator::event(stringify!($name));
        }
    };
}

event!(
    /// `initialize` created the deployment's Config.
    TradingInitialized {
        config: Address,
        authority: Address,
        registry_program: Address,
        base_mint: Address,
        event_authority: Address,
        timestamp: PodI64,
    }
);

event!(
    /// A regulator quorum created a market.
    MarketCreated {
        market: Address,
        zone_id: PodU32,
        base_mint: Address,
        quote_mint: Address,
        base_vault: Address,
        quote_vault: Address,
        fee_recipient: Address,
        tick_size: PodU64,
        lot_size_wh: PodU64,
        min_order_lots: PodU64,
        taker_fee_bps: PodU16,
        maker_fee_bps: PodU16,
        max_orders_per_epoch: PodU32,
        /// 0: continuous market; else the periodic auction's epoch length, seconds.
        epoch_secs: PodU32,
        timestamp: PodI64,
    }
);

event!(
    /// A regulator quorum changed a market's parameters or status.
    MarketUpdated {
        market: Address,
        fee_recipient: Address,
        tick_size: PodU64,
        lot_size_wh: PodU64,
        min_order_lots: PodU64,
        taker_fee_bps: PodU16,
        maker_fee_bps: PodU16,
        max_orders_per_epoch: PodU32,
        /// A `MarketStatus`.
        status: u8,
        timestamp: PodI64,
    }
);

event!(
    /// A regulator quorum registered (or unregistered) a market maker.
    MarketMakerSet {
        market: Address,
        trader: Address,
        seat: PodU32,
        enabled: u8,
        /// The trader had no seat: this instruction gave it `seat` (no `SeatClaimed` is emitted).
        seat_created: u8,
        timestamp: PodI64,
    }
);

event!(
    /// A trader took a seat in a market.
    SeatClaimed {
        market: Address,
        trader: Address,
        seat: PodU32,
        timestamp: PodI64,
    }
);

event!(
    /// A trader deposited into the market's vault.
    Deposited {
        market: Address,
        trader: Address,
        seat: PodU32,
        mint: Address,
        amount: PodU64,
        /// The seat's free balance of `mint` afterwards.
        free_after: PodU64,
        timestamp: PodI64,
    }
);

event!(
    /// A trader withdrew free funds.
    Withdrawn {
        market: Address,
        trader: Address,
        seat: PodU32,
        mint: Address,
        amount: PodU64,
        free_after: PodU64,
        destination: Address,
        timestamp: PodI64,
    }
);

event!(
    /// An order was placed: what it traded, what rests, and (in the trailing `steps` vector, borsh
    /// `Vec<MatchStep>`) every fill and every resting order it removed or reduced, in order.
    OrderPlaced {
        market: Address,
        trader: Address,
        seat: PodU32,
        order_id: PodU64,
        client_order_id: PodU64,
        side: u8,
        kind: u8,
        self_trade: u8,
        price: PodU64,
        lots: PodU64,
        expires_at: PodI64,
        filled_lots: PodU64,
        base_traded: PodU64,
        quote_traded: PodU64,
        taker_fee: PodU64,
        rested_lots: PodU64,
        cancelled_lots: PodU64,
        /// An `OrderState`.
        state: u8,
        timestamp: PodI64,
    }
);

event!(
    /// A trader cancelled a resting order.
    OrderCancelled {
        market: Address,
        trader: Address,
        order_id: PodU64,
        client_order_id: PodU64,
        side: u8,
        price: PodU64,
        lots: PodU64,
        base_released: PodU64,
        quote_released: PodU64,
        timestamp: PodI64,
    }
);

event!(
    /// `prune_expired` removed expired orders (trailing `Vec<Removal>`).
    OrdersExpired {
        market: Address,
        timestamp: PodI64,
    }
);

event!(
    /// The fee recipient collected the accrued fees.
    FeesCollected {
        market: Address,
        recipient: Address,
        destination: Address,
        amount: PodU64,
        timestamp: PodI64,
    }
);

event!(
    /// `grow_market` added seat and order slots to a market.
    MarketGrown {
        market: Address,
        payer: Address,
        extra_seats: PodU16,
        extra_orders: PodU16,
        /// The market's capacities afterwards.
        seat_capacity: PodU32,
        order_capacity: PodU32,
        /// Lamports the payer paid to keep the larger market rent-exempt.
        lamports_paid: PodU64,
        timestamp: PodI64,
    }
);

event!(
    /// A trader placed an order in the call auction of a periodic market's epoch.
    AuctionOrderPlaced {
        market: Address,
        trader: Address,
        seat: PodU32,
        /// The epoch whose auction the order joined.
        epoch: PodU64,
        /// Its index in the epoch account (time priority).
        index: PodU32,
        order_id: PodU64,
        client_order_id: PodU64,
        side: u8,
        price: PodU64,
        lots: PodU64,
        expires_at: PodI64,
        rollover: u8,
        /// Atoms the order locked: base for an ask, quote (price and maker fee) for a bid.
        locked: PodU64,
        /// Lamports the trader paid to grow the epoch account.
        lamports_paid: PodU64,
        timestamp: PodI64,
    }
);

event!(
    /// A trader cancelled an auction order.
    AuctionOrderCancelled {
        market: Address,
        trader: Address,
        epoch: PodU64,
        index: PodU32,
        order_id: PodU64,
        client_order_id: PodU64,
        side: u8,
        price: PodU64,
        lots: PodU64,
        base_released: PodU64,
        quote_released: PodU64,
        timestamp: PodI64,
    }
);

event!(
    /// `clear_epoch` fixed an epoch's clearing price.
    EpochCleared {
        market: Address,
        zone_id: PodU32,
        epoch: PodU64,
        starts_at: PodI64,
        ends_at: PodI64,
        price: PodU64,
        volume_lots: PodU64,
        demand_lots: PodU64,
        supply_lots: PodU64,
        total_bid_lots: PodU64,
        total_ask_lots: PodU64,
        bid_marginal_price: PodU64,
        bid_marginal_lots: PodU64,
        ask_marginal_price: PodU64,
        ask_marginal_lots: PodU64,
        reference_price: PodU64,
        orders: PodU32,
        levels: PodU32,
        timestamp: PodI64,
    }
);

event!(
    /// `settle_epoch` settled one chunk of an epoch's orders (trailing `Vec<Settlement>`).
    EpochSettled {
        market: Address,
        payer: Address,
        epoch: PodU64,
        /// The chunk's first order index.
        from_index: PodU32,
        /// One past its last order index (the epoch's cursor afterwards).
        to_index: PodU32,
        /// The epoch is settled.
        done: u8,
        lamports_paid: PodU64,
        timestamp: PodI64,
    }
);
