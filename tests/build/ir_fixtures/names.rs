#![allow(dead_code, unused_variables, uncommon_codepoints)]
use std::collections::BTreeMap;
use std::fmt::Debug;

pub trait Shape { fn area(&self) -> u64; fn name(&self) -> &'static str { "shape" } }
pub struct Square(u64);
impl Shape for Square { fn area(&self) -> u64 { self.0 * self.0 } }
impl Square { pub fn new(x: u64) -> Self { Square(x) } }

pub fn consts<const N: usize, const C: char, const B: bool, const I: i32>(x: [u8; N]) -> usize {
    N + C as usize + B as usize + I as usize
}
pub fn use_consts() -> usize { consts::<4, 'x', true, -5>([1, 2, 3, 4]) + consts::<0, 'é', false, 7>([]) }
pub fn apply<F: Fn(u8) -> u16>(f: F, x: u8) -> u16 { f(x) }
pub fn closures(k: u16) -> u16 { let add = |x: u8| x as u16 + k; apply(add, 3) + apply(|y| y as u16 * 2, 4) }
pub fn dyns(s: &dyn Shape, f: &dyn Fn(&u8) -> u8, g: Box<dyn Iterator<Item = u32> + Send>) -> u64 {
    s.area() + f(&1) as u64 + g.count() as u64
}
pub fn pointers(f: fn(u8) -> u16, g: unsafe extern "C" fn(*const u8, *mut i64), h: for<'a> fn(&'a str) -> &'a str) {}
pub fn tuples(t: (u8, (i16, char), [u32; 3], &[u64], *const ())) -> u8 { t.0 }
pub fn café(x: u8) -> u8 { x }
pub mod outer { pub mod inner { pub fn deep<T: Clone>(x: &T) -> T { x.clone() } } }
pub fn instantiate() {
    outer::inner::deep(&5u128);
    outer::inner::deep(&(1i8, "a"));
    let m: BTreeMap<String, Vec<Option<u8>>> = BTreeMap::new();
    drop(m);
}
pub struct Wrapper<T>(T);
impl<T: Debug> Debug for Wrapper<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { self.0.fmt(f) }
}
pub fn wrapped() -> String { format!("{:?} {:?}", Wrapper([1u8, 2]), Square::new(2).name()) }
