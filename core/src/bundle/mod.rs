//! Bundle containers: the strict zip reader and the deterministic zip writer of Clyra evidence
//! bundles.
//!
//! spec: bundle-v0 §2. A bundle is one zip file with a fixed set of entries in a fixed order
//! (§2.1), stored or deflated (§2.2), laid out exactly as §2.3 says. [`Container::open`] makes
//! every structural check of §2.4.2–§2.4.3 in the spec's order; [`Container::read_entry`]
//! streams one entry, checking its data (§2.4.3 item 8) and hashing it once;
//! [`check_entry_set`] makes the entry-set and order checks of §2.4.4. [`ContainerWriter`]
//! writes the one layout §2.3 allows. The `zip` crate is not used: it searches backwards for the
//! end record and accepts prefix bytes, where the spec rejects both.

mod error;
mod names;
mod reader;
mod writer;
mod zip_format;

pub use error::{ContainerError, ContainerErrorKind};
pub use names::{check_entry_set, check_name, cmp_expected, deflate_allowed, EntryClass};
pub use reader::{
    read_entry_data, Container, EntryDigest, EntryInfo, Method, RATIO_THRESHOLD_BYTES,
};
pub use writer::{ContainerWriter, EntryCrc, WriteError, DEFLATE_LEVEL};
