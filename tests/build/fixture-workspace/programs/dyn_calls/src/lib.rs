//! Trait-object method calls with 6 to 10 argument registers (u64, u8, bool, u32, `&[u8]`, structs by
//! reference, `Option<u64>`, an enum, `&mut dyn FnMut`, an `Option<struct>` return), over several
//! implementations, as Phoenix calls its markets through `dyn WritableMarket`.
//! The BPF backend passes at most 5 argument registers, so the pipeline packs the arguments of these
//! indirect calls (and of the methods they reach, and of direct calls of the same methods).
//!
//! Case (`CASE_LEN` bytes): `market: u8, op: u8, words: [u64; 6]` (little-endian). Result per case:
//! `value: u64, state: u64` (a digest of the book and events the calls mutate). Markets, book and
//! events live for one batch.
//! `examples/host.rs` runs the same `run` on the host.
// no_std on the target; with std on the host, where `examples/host.rs` runs the same code.
#![cfg_attr(target_arch = "bpf", no_std)]

pub const CASE_LEN: usize = 50;
pub const RESULT_LEN: usize = 16;
pub const MAX_CASES: usize = 32;
pub const MAX_RESULTS: usize = MAX_CASES * RESULT_LEN;

pub struct Order {
    pub price: u64,
    pub qty: u32,
    pub side: u8,
}

pub struct Book {
    pub bid: u64,
    pub ask: u64,
    pub seq: u64,
}

/// Which side of the book, passed by value as Phoenix passes its `Side`.
#[derive(Clone, Copy)]
#[repr(u8)]
pub enum Side {
    Bid,
    Ask,
}

/// What `reduce` reports through its `record` closure.
pub struct Event {
    pub kind: u8,
    pub value: u64,
}

/// Returned through memory (`Option<Response>` does not fit a register).
pub struct Response {
    pub filled: u64,
    pub released: u64,
    pub fees: u64,
}

impl Book {
    fn digest(&self) -> u64 {
        self.bid.rotate_left(7)
            ^ self.ask.rotate_left(29)
            ^ self.seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// Registers per method (self included): place 8, cancel 10, six 6, update 7, small 3.
pub trait Market {
    fn place(
        &self,
        price: u64,
        side: u8,
        post_only: bool,
        tag: &[u8],
        order: &Order,
        book: &mut Book,
    ) -> u64;
    #[allow(clippy::too_many_arguments)]
    fn cancel(
        &self,
        id: u64,
        memo: &[u8],
        flag: bool,
        extra: &[u8],
        order: &Order,
        qty: u32,
        lot: u8,
    ) -> u64;
    fn six(&self, a: u64, b: u64, c: u64, d: u64, e: u64) -> u64;
    fn update(&mut self, delta: u64, side: u8, book: &Book, tag: &[u8], cap: u64) -> u64;
    fn small(&self, a: u64, b: u8) -> u64;

    /// As Phoenix's `reduce_order`: an `Option` by value (2 registers), a `&mut dyn FnMut` (2), an
    /// `Option` of a struct returned through a pointer: 10 registers with it.
    #[allow(clippy::too_many_arguments)]
    fn reduce(
        &mut self,
        trader: &[u8; 32],
        id: &u64,
        side: Side,
        size: Option<u64>,
        claim: bool,
        record: &mut dyn FnMut(Event),
    ) -> Option<Response>;

    /// A default method calling another method of the trait, as Phoenix's `cancel_order` (8 registers).
    fn cancel_all(
        &mut self,
        trader: &[u8; 32],
        id: &u64,
        side: Side,
        claim: bool,
        record: &mut dyn FnMut(Event),
    ) -> Option<Response> {
        self.reduce(trader, id, side, None, claim, record)
    }
}

fn fold(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01B3)
    })
}

/// Generic over its size, as Phoenix's `FIFOMarket` is: one set of methods per size.
pub struct Fifo<const N: usize> {
    base: u64,
    lots: [u64; N],
}

impl<const N: usize> Fifo<N> {
    fn new(base: u64) -> Self {
        let mut lots = [0u64; N];
        for (k, lot) in lots.iter_mut().enumerate() {
            *lot = base.wrapping_mul(k as u64 + 3).rotate_left(k as u32);
        }
        Self { base, lots }
    }
}

impl<const N: usize> Market for Fifo<N> {
    #[inline(never)]
    fn place(
        &self,
        price: u64,
        side: u8,
        post_only: bool,
        tag: &[u8],
        order: &Order,
        book: &mut Book,
    ) -> u64 {
        let lot = self.lots[(price % N as u64) as usize];
        let value = price.wrapping_mul(3 + N as u64)
            ^ ((side as u64) << 8)
            ^ ((post_only as u64) << 17)
            ^ fold(tag)
            ^ order.price.wrapping_mul(order.qty as u64 | 1)
            ^ (order.side as u64).rotate_left(N as u32)
            ^ lot
            ^ self.base;
        book.seq = book.seq.wrapping_add(1);
        if side & 1 == 0 {
            book.bid = book.bid.max(price ^ N as u64);
        } else {
            book.ask = book.ask.wrapping_add(price).rotate_left(3);
        }
        value.wrapping_add(book.seq)
    }

    #[inline(never)]
    fn cancel(
        &self,
        id: u64,
        memo: &[u8],
        flag: bool,
        extra: &[u8],
        order: &Order,
        qty: u32,
        lot: u8,
    ) -> u64 {
        let k = (id as usize).wrapping_add(lot as usize) % N;
        let mut value =
            id ^ self.lots[k] ^ fold(memo).rotate_left(5) ^ fold(extra).rotate_right(11);
        value = value
            .wrapping_mul(memo.len() as u64 + 1)
            .wrapping_add(extra.len() as u64);
        if flag {
            value = value.wrapping_sub(order.price);
        }
        value ^ ((qty as u64) << 32 | order.qty as u64) ^ ((lot as u64) << 56)
    }

    #[inline(never)]
    fn six(&self, a: u64, b: u64, c: u64, d: u64, e: u64) -> u64 {
        let x = a.wrapping_mul(3) ^ b.wrapping_mul(5) ^ c.wrapping_mul(7) ^ d.wrapping_mul(11);
        x.wrapping_add(e.wrapping_mul(13))
            .wrapping_add(self.lots[N - 1])
    }

    #[inline(never)]
    fn update(&mut self, delta: u64, side: u8, book: &Book, tag: &[u8], cap: u64) -> u64 {
        let k = (side as usize + tag.len()) % N;
        self.lots[k] = self.lots[k].wrapping_add(delta ^ book.bid).min(cap | 1);
        self.base = self.base.rotate_left(side as u32 & 63) ^ fold(tag) ^ book.seq;
        self.lots[k] ^ self.base
    }

    #[inline(never)]
    fn small(&self, a: u64, b: u8) -> u64 {
        a.wrapping_add(b as u64).wrapping_mul(N as u64 + 1) ^ self.base
    }

    #[inline(never)]
    fn reduce(
        &mut self,
        trader: &[u8; 32],
        id: &u64,
        side: Side,
        size: Option<u64>,
        claim: bool,
        record: &mut dyn FnMut(Event),
    ) -> Option<Response> {
        if size == Some(0) {
            return None;
        }
        let k = (*id % N as u64) as usize;
        let lot = self.lots[k];
        let take = size.unwrap_or(lot).min(lot);
        self.lots[k] = lot - take;
        record(Event {
            kind: side as u8,
            value: take ^ fold(trader),
        });
        if claim {
            record(Event {
                kind: 9,
                value: self.base,
            });
        }
        Some(Response {
            filled: take,
            released: lot ^ *id,
            fees: if matches!(side, Side::Ask) {
                take / 10
            } else {
                0
            },
        })
    }
}

/// A second kind of market with its own methods.
pub struct Pro {
    fee: u64,
    k: u8,
}

impl Market for Pro {
    #[inline(never)]
    fn place(
        &self,
        price: u64,
        side: u8,
        post_only: bool,
        tag: &[u8],
        order: &Order,
        book: &mut Book,
    ) -> u64 {
        book.seq = book.seq.wrapping_mul(3).wrapping_add(side as u64);
        book.ask = book.ask.max(price.wrapping_add(self.fee));
        let fee = if post_only { 0 } else { self.fee };
        (price.wrapping_sub(fee) ^ order.price.rotate_left(self.k as u32 & 63))
            .wrapping_add(tag.len() as u64 * 1000 + order.qty as u64)
            .wrapping_add(fold(tag) >> 3)
            ^ order.side as u64
    }

    #[inline(never)]
    fn cancel(
        &self,
        id: u64,
        memo: &[u8],
        flag: bool,
        extra: &[u8],
        order: &Order,
        qty: u32,
        lot: u8,
    ) -> u64 {
        let base = if flag {
            id.rotate_left(lot as u32 & 63)
        } else {
            id.swap_bytes()
        };
        base ^ fold(memo).wrapping_add(fold(extra))
            ^ (qty as u64).wrapping_mul(self.fee)
            ^ order.price
    }

    #[inline(never)]
    fn six(&self, a: u64, b: u64, c: u64, d: u64, e: u64) -> u64 {
        (a ^ self.fee).wrapping_sub(b).wrapping_mul(c | 1) ^ d.rotate_left(self.k as u32 & 63) ^ e
    }

    #[inline(never)]
    fn update(&mut self, delta: u64, side: u8, book: &Book, tag: &[u8], cap: u64) -> u64 {
        self.fee = (self.fee ^ delta).min(cap) ^ book.ask;
        self.k = self
            .k
            .wrapping_add(side)
            .wrapping_add(tag.first().copied().unwrap_or(1));
        self.fee.wrapping_add(self.k as u64)
    }

    #[inline(never)]
    fn small(&self, a: u64, b: u8) -> u64 {
        a.wrapping_mul(self.fee | 1) ^ b as u64
    }

    #[inline(never)]
    fn reduce(
        &mut self,
        trader: &[u8; 32],
        id: &u64,
        side: Side,
        size: Option<u64>,
        claim: bool,
        record: &mut dyn FnMut(Event),
    ) -> Option<Response> {
        if *id % 7 == 3 {
            return None;
        }
        let filled = size.map_or(self.fee, |s| s.wrapping_mul(self.fee));
        record(Event {
            kind: self.k,
            value: filled ^ trader[side as usize] as u64,
        });
        self.fee = self.fee.wrapping_add(claim as u64);
        Some(Response {
            filled,
            released: id.rotate_left(self.k as u32 & 63),
            fees: fold(&trader[..8]),
        })
    }
}

fn words(case: &[u8]) -> [u64; 6] {
    let mut out = [0u64; 6];
    for (k, word) in out.iter_mut().enumerate() {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(&case[2 + 8 * k..10 + 8 * k]);
        *word = u64::from_le_bytes(buf);
    }
    out
}

/// Run a batch of cases; `None` unless `data` holds whole cases (at most `MAX_CASES`).
pub fn run(data: &[u8], out: &mut [u8; MAX_RESULTS]) -> Option<usize> {
    if !data.len().is_multiple_of(CASE_LEN) || data.len() / CASE_LEN > MAX_CASES {
        return None;
    }
    let mut fifo1 = Fifo::<1>::new(0x1111);
    let mut fifo4 = Fifo::<4>::new(0x4444_4444);
    let mut fifo16 = Fifo::<16>::new(0x1616_1616_1616);
    let mut pro = Pro { fee: 25, k: 9 };
    let mut book = Book {
        bid: 0,
        ask: 0,
        seq: 0,
    };
    let mut events = 0u64;
    let mut n = 0;
    for case in data.chunks_exact(CASE_LEN) {
        let w = words(case);
        let op = case[1];
        let order = Order {
            price: w[1],
            qty: w[2] as u32,
            side: op >> 4,
        };
        let tag = &case[..(w[3] % (CASE_LEN as u64 + 1)) as usize];
        let memo = &case[(w[4] % CASE_LEN as u64) as usize..];
        let extra = &case[(w[5] % 20) as usize..20 + (w[5] % 30) as usize];
        // The optimizer must not see which market it is: no devirtualization.
        let market: &mut dyn Market = match core::hint::black_box(case[0]) % 4 {
            0 => &mut fifo1,
            1 => &mut fifo4,
            2 => &mut fifo16,
            _ => &mut pro,
        };
        let side = (w[0] >> 8) as u8;
        let value = match op % 8 {
            0 => market.place(w[0], side, w[1] & 1 == 1, tag, &order, &mut book),
            1 => market.cancel(w[0], memo, w[2] & 2 == 2, extra, &order, w[3] as u32, side),
            2 => market.six(w[0], w[1], w[2], w[3], w[4]),
            3 => market.update(w[0], side, &book, tag, w[5]),
            4 => market.small(w[0], side),
            // the same methods called directly, on concrete types
            5 => {
                let placed = fifo4.place(w[1], side, true, memo, &order, &mut book);
                let cancelled = pro.cancel(w[2], tag, false, extra, &order, w[0] as u32, side);
                placed ^ cancelled.rotate_left(1) ^ fifo16.six(w[5], w[4], w[3], w[2], w[1])
            }
            _ => {
                let mut trader = [0u8; 32];
                trader.copy_from_slice(&case[2..34]);
                let side = if op & 0x80 != 0 { Side::Ask } else { Side::Bid };
                let mut record =
                    |e: Event| events = events.rotate_left(5) ^ e.value ^ ((e.kind as u64) << 56);
                let claim = w[3] & 1 == 1;
                let response = if op % 8 == 6 {
                    let size = if w[1] & 1 == 1 {
                        Some(w[2] % 1000)
                    } else {
                        None
                    };
                    market.reduce(&trader, &w[0], side, size, claim, &mut record)
                } else {
                    market.cancel_all(&trader, &w[0], side, claim, &mut record)
                };
                match response {
                    Some(r) => r.filled ^ r.released.rotate_left(13) ^ r.fees.rotate_left(29),
                    None => u64::MAX,
                }
            }
        };
        out[n..n + 8].copy_from_slice(&value.to_le_bytes());
        out[n + 8..n + 16].copy_from_slice(&(book.digest() ^ events).to_le_bytes());
        n += RESULT_LEN;
    }
    Some(n)
}

/// # Safety
/// Called by the loader with its serialized input.
#[cfg(target_arch = "bpf")]
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
    let data = fixture_rt::instruction_data(input);
    let mut out = [0u8; MAX_RESULTS];
    match run(data, &mut out) {
        Some(n) => {
            fixture_rt::set_return_data(&out[..n]);
            0
        }
        None => 1,
    }
}
