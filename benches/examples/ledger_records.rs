//! Builds a ledger directory of N synthetic records directly from records (no bundle files), for
//! measuring `clyra ledger verify` at 1,000,000 entries without appending a million real bundles.
//!
//! `ledger_records N DIR`: a fixed Ed25519 key (seed 7), origin `bench.example/ledger`, the
//! records of `benches/benches/ledger.rs` (~400 bytes, valid against ledger-v0's schema), appended
//! with `ledger::tiles::append` in batches of 65,536 (one signed checkpoint per batch, like 16
//! `clyra ledger append` calls), files written as `clyra ledger init`/`append` lay them out.
//! `clyra ledger verify DIR` then checks it with the key from `ledger.json`; the signing key is
//! written to `DIR.key` (PKCS#8 PEM) so that `clyra ledger append --key DIR.key` can add to it.

use std::fs;
use std::path::{Path, PathBuf};

use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::ledger::note::ALG_ED25519;
use clyra_core::ledger::tiles::append;
use clyra_core::ledger::{Checkpoint, LedgerError, NoteSigner, TileStore};

struct Dir(PathBuf);

impl TileStore for Dir {
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(fs::read(self.0.join(path)).ok())
    }
}

fn record(i: u64) -> Vec<u8> {
    format!("{{\"approvals\":[],\"bundle_id\":\"bench:{i:016}\",\"bundle_sha256\":\"{:064x}\",\"created_at\":\"2026-11-20T09:00:00Z\",\"environment\":\"test\",\"format\":\"def/v0\",\"logged_at\":\"2026-11-20T09:02:00Z\",\"manifest_digest\":\"sha256:{:064x}\",\"subject\":\"model.bench.m{i}\",\"v\":0}}", i, i + 1).into_bytes()
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
    }
    fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(n), Some(dir)) = (args.get(1), args.get(2)) else {
        panic!("usage: ledger_records N DIR")
    };
    let n: u64 = n.parse().unwrap_or_else(|e| panic!("N: {e}"));
    let root = PathBuf::from(dir);
    let key = SigningKey::generate(Scheme::Ed25519, [7; 32]).unwrap_or_else(|e| panic!("{e}"));
    let origin = "bench.example/ledger";
    let signer = NoteSigner::new(&key, origin, ALG_ED25519).unwrap_or_else(|e| panic!("{e}"));
    let config = format!(
        "{{\"format\":\"clyra-ledger/v0\",\"key\":\"{}\",\"origin\":\"{origin}\"}}",
        signer.verifier().to_text()
    );
    write(&root.join("ledger.json"), config.as_bytes());
    let pem = key.to_pkcs8_pem().unwrap_or_else(|e| panic!("{e}"));
    write(&PathBuf::from(format!("{dir}.key")), pem.as_bytes());
    let mut store = Dir(root.clone());
    let mut size = 0u64;
    let mut cp = Checkpoint {
        origin: origin.into(),
        size: 0,
        root: clyra_core::merkle::empty_root(),
    };
    while size < n {
        let batch: Vec<Vec<u8>> = (size..n.min(size + 65_536)).map(record).collect();
        let (writes, new_root) = append(&mut store, size, &batch).unwrap_or_else(|e| panic!("{e}"));
        for w in &writes {
            write(&root.join(&w.path), &w.bytes);
        }
        size += batch.len() as u64;
        cp = Checkpoint {
            origin: origin.into(),
            size,
            root: new_root,
        };
    }
    let note = cp.sign(&signer).unwrap_or_else(|e| panic!("{e}"));
    write(&root.join("checkpoint"), note.as_bytes());
    println!("{}: {size} entries", root.display());
}
