//! The core's `StateStore` over Redis (the `redis` crate, synchronous connections in a small
//! pool): `GET`, `SET NX GET PX` and a compare-and-set script, so replicas share rate buckets,
//! idempotency records, fences, kill switches, circuits and holds.
//!
//! Round trips: a request names the keys its next checks will read ([`Prefetch`]); they are
//! read with one `MGET`, sent in the same pipeline as the next command, and each value serves
//! the first `get` of its key only. That changes no decision: `MGET` is one atomic snapshot,
//! a check that only reads decides as if it ran at that instant, and every write is still a
//! compare-and-set (or `SET NX`) against the store, which retries with a fresh read if the
//! value moved.

use std::sync::Mutex;
use std::time::Duration;

use clyra_core::guard::enforce::{EnforceError, StateStore, UnixMillis};

/// Replaces the value at KEYS[1] when it equals the expected one (ARGV[1] = "1" when a value is
/// expected, ARGV[2] the value); ARGV[3] = "1" sets ARGV[4] with a TTL of ARGV[5] ms (0: none),
/// else deletes. Returns 1 when it did.
const CAS_SCRIPT: &str = r"
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if cur ~= ARGV[2] then return 0 end
else
  if cur then return 0 end
end
if ARGV[3] == '1' then
  if tonumber(ARGV[5]) > 0 then
    redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
  else
    redis.call('SET', KEYS[1], ARGV[4])
  end
else
  redis.call('DEL', KEYS[1])
end
return 1
";

/// Time allowed for one Redis round trip before the store counts as failed.
const IO_TIMEOUT: Duration = Duration::from_millis(500);

/// Pooled connections to one Redis server.
pub struct RedisStore {
    client: redis::Client,
    pool: Mutex<Vec<redis::Connection>>,
    script: redis::Script,
    prefix: String,
}

impl RedisStore {
    /// A store at `url` (`redis://host:port/db`); keys are prefixed with `clyra:`. Nothing is
    /// connected until first use, so a gateway starts while Redis is down.
    pub fn new(url: &str) -> Result<Self, EnforceError> {
        let client = redis::Client::open(url)
            .map_err(|e| EnforceError::Config(format!("redis url `{url}`: {e}")))?;
        Ok(Self {
            client,
            pool: Mutex::new(Vec::new()),
            script: redis::Script::new(CAS_SCRIPT),
            prefix: "clyra:".into(),
        })
    }

    /// Runs `f` over one pooled connection; a connection that failed is dropped.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut dyn StateStore) -> Result<T, EnforceError>,
    ) -> Result<T, EnforceError> {
        self.with_prefetch(&mut Prefetch::default(), f)
    }

    /// [`RedisStore::with`], reading the keys `pre` still wants along with the first command.
    pub fn with_prefetch<T>(
        &self,
        pre: &mut Prefetch,
        f: impl FnOnce(&mut dyn StateStore) -> Result<T, EnforceError>,
    ) -> Result<T, EnforceError> {
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = self
                    .client
                    .get_connection_with_timeout(IO_TIMEOUT)
                    .map_err(store_error)?;
                c.set_read_timeout(Some(IO_TIMEOUT)).map_err(store_error)?;
                c.set_write_timeout(Some(IO_TIMEOUT)).map_err(store_error)?;
                c
            }
        };
        let mut session = Session {
            conn,
            script: &self.script,
            prefix: &self.prefix,
            failed: false,
            pre,
        };
        let out = f(&mut session);
        if !session.failed {
            if let Ok(mut p) = self.pool.lock() {
                if p.len() < 64 {
                    p.push(session.conn);
                }
            }
        }
        out
    }
}

fn store_error(e: redis::RedisError) -> EnforceError {
    EnforceError::Store(format!("redis: {e}"))
}

/// Keys a request will read soon, and the values read ahead (each serves one `get`).
#[derive(Debug, Default)]
pub struct Prefetch {
    wanted: Vec<String>,
    read: Vec<(String, Option<Vec<u8>>)>,
}

impl Prefetch {
    /// Asks for `key` (unprefixed, as the core names it) to be read with the next command.
    pub fn want(&mut self, key: String) {
        if !self.wanted.contains(&key) && !self.read.iter().any(|(k, _)| *k == key) {
            self.wanted.push(key);
        }
    }

    /// The value read ahead for `key`, once.
    fn take(&mut self, key: &str) -> Option<Option<Vec<u8>>> {
        let i = self.read.iter().position(|(k, _)| k == key)?;
        Some(self.read.swap_remove(i).1)
    }

    /// Forgets what was read ahead for `key` (it is being written).
    fn forget(&mut self, key: &str) {
        self.read.retain(|(k, _)| k != key);
        self.wanted.retain(|k| k != key);
    }
}

/// The values of one `MGET`.
type Values = Vec<Option<Vec<u8>>>;

struct Session<'a> {
    conn: redis::Connection,
    script: &'a redis::Script,
    prefix: &'a str,
    failed: bool,
    pre: &'a mut Prefetch,
}

impl Session<'_> {
    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn check<T>(&mut self, r: redis::RedisResult<T>) -> Result<T, EnforceError> {
        r.map_err(|e| {
            self.failed = true;
            store_error(e)
        })
    }

    /// Adds `MGET` of the wanted keys to `pipe` (nothing when none are wanted); the keys.
    fn add_prefetch(&mut self, pipe: &mut redis::Pipeline) -> Vec<String> {
        let wanted = std::mem::take(&mut self.pre.wanted);
        if !wanted.is_empty() {
            let keys: Vec<String> = wanted.iter().map(|k| self.key(k)).collect();
            pipe.cmd("MGET").arg(keys);
        }
        wanted
    }

    /// Keeps the values an `MGET` read ahead.
    fn keep(&mut self, wanted: Vec<String>, values: Values) {
        self.pre.read.extend(wanted.into_iter().zip(values));
    }
}

impl StateStore for Session<'_> {
    fn get(&mut self, key: &str, _now: UnixMillis) -> Result<Option<Vec<u8>>, EnforceError> {
        if let Some(v) = self.pre.take(key) {
            return Ok(v);
        }
        if self.pre.wanted.is_empty() {
            let k = self.key(key);
            let r = redis::cmd("GET").arg(k).query(&mut self.conn);
            return self.check(r);
        }
        // One `MGET` for this key and the wanted ones.
        self.pre.want(key.to_owned());
        let mut pipe = redis::pipe();
        let wanted = self.add_prefetch(&mut pipe);
        let r: redis::RedisResult<(Values,)> = pipe.query(&mut self.conn);
        let (values,) = self.check(r)?;
        self.keep(wanted, values);
        Ok(self.pre.take(key).flatten())
    }

    fn put_if_absent(
        &mut self,
        key: &str,
        value: &[u8],
        ttl_ms: u64,
        _now: UnixMillis,
    ) -> Result<Option<Vec<u8>>, EnforceError> {
        self.pre.forget(key);
        let k = self.key(key);
        let mut cmd = redis::cmd("SET");
        cmd.arg(k).arg(value).arg("NX").arg("GET");
        if ttl_ms > 0 {
            cmd.arg("PX").arg(ttl_ms);
        }
        if self.pre.wanted.is_empty() {
            let r = cmd.query(&mut self.conn);
            return self.check(r);
        }
        // The wanted keys ride along: `MGET` then the `SET`, one round trip.
        let mut pipe = redis::pipe();
        let wanted = self.add_prefetch(&mut pipe);
        pipe.add_command(cmd);
        let r: redis::RedisResult<(Values, Option<Vec<u8>>)> = pipe.query(&mut self.conn);
        let (values, out) = self.check(r)?;
        self.keep(wanted, values);
        Ok(out)
    }

    fn compare_and_set(
        &mut self,
        key: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
        ttl_ms: u64,
        _now: UnixMillis,
    ) -> Result<bool, EnforceError> {
        self.pre.forget(key);
        let k = self.key(key);
        let r: redis::RedisResult<i64> = self
            .script
            .key(k)
            .arg(if expected.is_some() { "1" } else { "0" })
            .arg(expected.unwrap_or_default())
            .arg(if new.is_some() { "1" } else { "0" })
            .arg(new.unwrap_or_default())
            .arg(ttl_ms)
            .invoke(&mut self.conn);
        Ok(self.check(r)? == 1)
    }
}
