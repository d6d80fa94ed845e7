//! The core's `StateStore` over Redis (the `redis` crate, synchronous connections in a small
//! pool): `GET`, `SET NX GET PX` and a compare-and-set script, so replicas share rate buckets,
//! idempotency records, fences, kill switches, circuits and holds.

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

struct Session<'a> {
    conn: redis::Connection,
    script: &'a redis::Script,
    prefix: &'a str,
    failed: bool,
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
}

impl StateStore for Session<'_> {
    fn get(&mut self, key: &str, _now: UnixMillis) -> Result<Option<Vec<u8>>, EnforceError> {
        let k = self.key(key);
        let r = redis::cmd("GET").arg(k).query(&mut self.conn);
        self.check(r)
    }

    fn put_if_absent(
        &mut self,
        key: &str,
        value: &[u8],
        ttl_ms: u64,
        _now: UnixMillis,
    ) -> Result<Option<Vec<u8>>, EnforceError> {
        let k = self.key(key);
        let mut cmd = redis::cmd("SET");
        cmd.arg(k).arg(value).arg("NX").arg("GET");
        if ttl_ms > 0 {
            cmd.arg("PX").arg(ttl_ms);
        }
        let r = cmd.query(&mut self.conn);
        self.check(r)
    }

    fn compare_and_set(
        &mut self,
        key: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
        ttl_ms: u64,
        _now: UnixMillis,
    ) -> Result<bool, EnforceError> {
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
