//! SIEM events: Clyra evidence mapped to OCSF 1.x and Elastic Common Schema (ECS) records, one
//! NDJSON line per bundle or per enforcement decision, for the security tools auditors already use.

pub mod bundle;
pub mod decision;
