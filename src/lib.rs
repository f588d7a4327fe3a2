//! The pure logic of scythe: everything that decides, nothing that acts.
//!
//! These modules make no system calls, so they build for the libc-free
//! binary (`no_std`) and, unchanged, for ordinary unit tests on the host.
//! The binary (`src/main.rs`) reads them top to bottom as parse → prepare
//! signals → spawn → supervise → exit; this crate supplies the parse, the
//! signal vocabulary, the rewrite table and the exit-status rules.

#![cfg_attr(not(test), no_std)]

pub mod config;
pub mod duration;
pub mod environment;
pub mod errno;
pub mod line;
pub mod options;
pub mod personality;
#[cfg(test)]
mod properties;
pub mod rewrite;
pub mod signal;
pub mod status;
pub mod text;
pub mod words;
