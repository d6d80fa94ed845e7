//! The one `AsyncTask` every long call uses: a closure that computes an FFI answer off the main
//! thread and resolves the promise with its JSON text.

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Result, Task};

/// Work that yields an FFI answer (JSON bytes), run on libuv's thread pool.
pub struct Answered {
    work: Option<Box<dyn FnOnce() -> Vec<u8> + Send>>,
}

/// Schedules `work`; the promise resolves with the answer's JSON text.
pub fn answered(work: impl FnOnce() -> Vec<u8> + Send + 'static) -> AsyncTask<Answered> {
    AsyncTask::new(Answered {
        work: Some(Box::new(work)),
    })
}

impl Task for Answered {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<Self::Output> {
        let answer = self.work.take().map(|work| work()).unwrap_or_default();
        // The core writes answers with serde_json: always UTF-8.
        Ok(String::from_utf8_lossy(&answer).into_owned())
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }
}
