//! Guards: decisions a host makes in microseconds before a statement, a prompt or a request
//! passes (DESIGN §10). Pure: time and state are inputs.
//!
//! [`sql`] checks SQL statements; [`genai`] scans prompts and agent steps; [`enforce`] holds the
//! enforcement primitives (idempotency, rate limits, tenant fencing, kill switch, loop breaker,
//! circuit breaker).

pub mod enforce;
pub mod genai;
pub mod sql;
