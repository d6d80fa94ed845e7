//! `clyra-gateway`: the enforcement proxy. Each request passes the core's primitives in the
//! order of gateway-config-v0.md §8 and leaves one journal event in a write-ahead log that is
//! sealed into signed PEF bundles. The host only wires HTTP to core functions.

pub mod answer;
pub mod chain;
pub mod config;
pub mod detector;
pub mod error;
pub mod evidence;
pub mod forward;
pub mod gateway;
pub mod hold;
pub mod mcp;
pub mod redis_store;
pub mod server;
pub mod siem;
pub mod stages;
pub mod state;
pub mod sweep;
