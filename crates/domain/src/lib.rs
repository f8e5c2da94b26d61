//! Pure rules of Qianglian. No I/O, no async, no clock: time is passed in.
//!
//! Reference standards (GB 32100, GB/T 4754-2017, GB/T 2260, the 2017 size rules) are
//! embedded from `data/` at compile time so that a typed value is valid everywhere.

pub mod account;
pub mod chainmap;
pub mod clock;
pub mod eval;
pub mod indicator;
pub mod industry;
pub mod money;
pub mod problem;
pub mod productgraph;
pub mod project;
pub mod region;
pub mod registry;
pub mod role;
pub mod size;
pub mod uscc;
pub mod workday;
