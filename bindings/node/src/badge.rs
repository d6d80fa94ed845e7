//! Badges for Node (spec: badge-v0.md §5): verify a badge's bytes through `clyra_core::ffi`.

use clyra_core::badge::MAX_BADGE_BYTES;
use clyra_core::ffi::badge as ffi;
use clyra_core::ffi::Answer;
use napi::bindgen_prelude::{AsyncTask, Uint8Array};
use napi_derive::napi;

use crate::files::read_bounded;
use crate::task::{answered, Answered};

/// Verifies badge bytes: the answer of `ffi::badge::badge_verify`.
#[napi(ts_return_type = "Promise<string>")]
pub fn badge_verify(call: String, badge: Uint8Array) -> AsyncTask<Answered> {
    let badge = badge.to_vec();
    answered(move || ffi::badge_verify(call.as_bytes(), &badge))
}

/// Verifies the badge at `path` (read up to one byte past the badge limit).
#[napi(ts_return_type = "Promise<string>")]
pub fn badge_verify_file(call: String, path: String) -> AsyncTask<Answered> {
    answered(move || match read_bounded(&path, MAX_BADGE_BYTES) {
        Ok(badge) => ffi::badge_verify(call.as_bytes(), &badge),
        Err(error) => Answer::<()>::of(Err(vec![error])).to_json(),
    })
}
