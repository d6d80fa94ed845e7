//! A ledger on S3-compatible object storage (ledger-v0.md §8; ADR 0010): requests signed by
//! rusty-s3 (SigV4, sans-IO) and sent with the CLI's ureq agent. Conditional PUTs on the
//! checkpoint keep two appenders from forking the log; bundles and full tiles carry Object Lock
//! retention in COMPLIANCE mode. Secrets never appear in an error or on the output.

use std::time::Duration;

use base64::Engine as _;
use clyra_core::ledger::retention::Retention;
use clyra_core::ledger::tiles::TileWrite;
use clyra_core::ledger::{LedgerError, LedgerErrorKind as K, TileStore};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use sha2::{Digest, Sha256};

use crate::ledger_store::{LedgerStorage, LockGuard, Tag};

/// How long a signed request stays valid.
const SIGN_FOR: Duration = Duration::from_secs(300);
/// The largest object the ledger reads (a bundle is never read back; tiles are ≤ 8 KiB,
/// entry bundles ≤ 256 records of ≤ 64 KiB).
const MAX_READ: u64 = 32 * 1024 * 1024;

/// The appenders' lease object (ledger-v0.md §8.2).
const LOCK: &str = ".lock";
/// A lease older than this is taken over (its appender crashed).
const LEASE: Duration = Duration::from_secs(600);
/// How long an appender waits for the lease.
const LOCK_WAIT: Duration = Duration::from_secs(120);

/// The held lease: released (deleted) when dropped.
pub struct S3Lock(LedgerS3);

impl Drop for S3Lock {
    fn drop(&mut self) {
        // Released by writing `free` (a delete would leave a marker on a versioned bucket).
        // Best effort: a lease left behind expires after LEASE.
        let _ = self.0.put(LOCK, FREE, &[]);
    }
}

/// The content of a released lease.
const FREE: &[u8] = b"free";

/// Unix seconds of an RFC 3339 time.
fn seconds(t: &str) -> Option<i64> {
    clyra_core::time::Timestamp::parse(t)
        .ok()
        .map(|t| t.unix_seconds())
}

/// A ledger at `s3://bucket/prefix`.
#[derive(Clone)]
pub struct LedgerS3 {
    bucket: Bucket,
    creds: Credentials,
    prefix: String,
    agent: ureq::Agent,
    retention: Option<Retention>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl LedgerS3 {
    /// The ledger at `bucket/prefix` (`rest` of an `s3://` location), with the endpoint, region
    /// and credentials of the standard `AWS_*` variables; `CLYRA_S3_PATH_STYLE=1` for
    /// path-style addressing.
    pub fn from_env(rest: &str, retention: Option<Retention>) -> Result<Self, LedgerError> {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_matches('/').to_owned();
        if bucket.is_empty() {
            return Err(LedgerError::new(
                K::Config,
                "s3:// location without a bucket",
            ));
        }
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".into());
        let endpoint = env("AWS_ENDPOINT_URL_S3")
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let url = endpoint.parse().map_err(|_| {
            LedgerError::new(
                K::Config,
                format!("AWS_ENDPOINT_URL `{endpoint}` is not a URL"),
            )
        })?;
        let style = if env("CLYRA_S3_PATH_STYLE").as_deref() == Some("1") {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let bucket = Bucket::new(url, style, bucket.to_owned(), region).map_err(|e| {
            LedgerError::new(
                K::Config,
                format!("s3://{rest}: {e} (try CLYRA_S3_PATH_STYLE=1)"),
            )
        })?;
        let (Some(key), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
        else {
            return Err(LedgerError::new(
                K::StorageAuth,
                "no AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment",
            ));
        };
        let creds = match env("AWS_SESSION_TOKEN") {
            Some(token) => Credentials::new_with_token(key, secret, token),
            None => Credentials::new(key, secret),
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent();
        Ok(Self {
            bucket,
            creds,
            prefix,
            agent,
            retention,
        })
    }

    fn key(&self, path: &str) -> String {
        if self.prefix.is_empty() {
            path.to_owned()
        } else {
            format!("{}/{path}", self.prefix)
        }
    }

    fn location(&self, path: &str) -> String {
        format!("s3://{}/{}", self.bucket.name(), self.key(path))
    }

    /// The typed error of a response status (never the body, which may echo request details).
    fn status_error(&self, path: &str, status: u16) -> LedgerError {
        let kind = match status {
            401 | 403 => K::StorageAuth,
            _ => K::Storage,
        };
        LedgerError::new(kind, format!("`{}`: HTTP {status}", self.location(path)))
    }

    fn transport_error(&self, path: &str, err: &ureq::Error) -> LedgerError {
        LedgerError::new(K::Storage, format!("`{}`: {err}", self.location(path)))
    }

    /// GET: the bytes and ETag, `None` when absent.
    fn get(&self, path: &str) -> Result<Option<(Vec<u8>, Tag)>, LedgerError> {
        let key = self.key(path);
        let url = self
            .bucket
            .get_object(Some(&self.creds), &key)
            .sign(SIGN_FOR);
        let mut resp = self
            .agent
            .get(url.as_str())
            .call()
            .map_err(|e| self.transport_error(path, &e))?;
        match resp.status().as_u16() {
            200 => {
                let tag = resp
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let bytes = resp
                    .body_mut()
                    .with_config()
                    .limit(MAX_READ)
                    .read_to_vec()
                    .map_err(|e| self.transport_error(path, &e))?;
                Ok(Some((bytes, tag)))
            }
            404 => Ok(None),
            s => Err(self.status_error(path, s)),
        }
    }

    /// Checks the bucket has Object Lock enabled (`GetObjectLockConfiguration`, ledger-v0.md
    /// §8.3): `ledger.storage_lock` when it has none, `ledger.storage_auth` when the credentials
    /// may not read it.
    fn check_object_lock(&self) -> Result<(), LedgerError> {
        // GET /<bucket>/?object-lock: a GetObject action on the empty key signs that URL.
        let mut action = self.bucket.get_object(Some(&self.creds), "");
        action.query_mut().insert("object-lock", "");
        let url = action.sign(SIGN_FOR);
        let where_ = format!("s3://{}", self.bucket.name());
        let mut resp = self
            .agent
            .get(url.as_str())
            .call()
            .map_err(|e| LedgerError::new(K::Storage, format!("`{where_}`: {e}")))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .unwrap_or_default();
        let refused = || {
            LedgerError::new(
                K::StorageLock,
                format!(
                    "bucket `{where_}` has no Object Lock enabled (GetObjectLockConfiguration); \
                     create the bucket with Object Lock (e.g. `aws s3api create-bucket \
                     --object-lock-enabled-for-bucket`) — a ledger needs it for retention (ledger-v0.md §8.3)"
                ),
            )
        };
        match status {
            200 if object_lock_enabled(&body) => Ok(()),
            200 | 404 => Err(refused()),
            // Some servers answer 400 InvalidRequest or ObjectLockConfigurationNotFoundError.
            400 if body.contains("ObjectLockConfigurationNotFound") => Err(refused()),
            401 | 403 => Err(LedgerError::new(
                K::StorageAuth,
                format!(
                    "`{where_}`: HTTP {status} on GetObjectLockConfiguration (the credentials \
                     need s3:GetBucketObjectLockConfiguration)"
                ),
            )),
            s => Err(LedgerError::new(
                K::Storage,
                format!("`{where_}`: HTTP {s} on GetObjectLockConfiguration"),
            )),
        }
    }

    /// HEAD: whether the object exists.
    fn exists(&self, path: &str) -> Result<bool, LedgerError> {
        let key = self.key(path);
        let url = self
            .bucket
            .head_object(Some(&self.creds), &key)
            .sign(SIGN_FOR);
        let resp = self
            .agent
            .head(url.as_str())
            .call()
            .map_err(|e| self.transport_error(path, &e))?;
        match resp.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            s => Err(self.status_error(path, s)),
        }
    }

    /// PUT with signed extra headers; `Ok(false)` when a precondition failed (412 or 409).
    fn put(&self, path: &str, bytes: &[u8], extra: &[(&str, String)]) -> Result<bool, LedgerError> {
        let key = self.key(path);
        let mut action = self.bucket.put_object(Some(&self.creds), &key);
        let checksum = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes));
        let mut headers: Vec<(&str, String)> = vec![("x-amz-checksum-sha256", checksum)];
        headers.extend(extra.iter().cloned());
        for (k, v) in &headers {
            action.headers_mut().insert(*k, v.clone());
        }
        let url = action.sign(SIGN_FOR);
        let mut req = self.agent.put(url.as_str());
        for (k, v) in &headers {
            req = req.header(*k, v.as_str());
        }
        let resp = req
            .send(bytes)
            .map_err(|e| self.transport_error(path, &e))?;
        match resp.status().as_u16() {
            200..=299 => Ok(true),
            409 | 412 => Ok(false),
            s => Err(self.status_error(path, s)),
        }
    }

    /// The Object Lock headers of a retained object (ledger-v0.md §8.3).
    fn lock_headers(&self) -> Result<Vec<(&'static str, String)>, LedgerError> {
        let Some(r) = &self.retention else {
            return Err(LedgerError::new(
                K::StorageLock,
                "an object-storage ledger needs a retention period: --retain-days, the policy's \
                 compliance.retention.period or retain_days in .clyra/config.json (ledger-v0.md §8.3)",
            ));
        };
        let now = clyra_core::time::Timestamp::parse(&crate::clock::now_utc())
            .map_err(|_| LedgerError::new(K::Storage, "the clock gave no usable time"))?;
        let until = r.period.retain_until(&now)?;
        let mut h = vec![
            ("x-amz-object-lock-mode", "COMPLIANCE".to_owned()),
            ("x-amz-object-lock-retain-until-date", until),
        ];
        if r.legal_hold {
            h.push(("x-amz-object-lock-legal-hold", "ON".to_owned()));
        }
        Ok(h)
    }

    fn put_locked(&self, path: &str, bytes: &[u8]) -> Result<(), LedgerError> {
        let headers = self.lock_headers()?;
        if self.put(path, bytes, &headers)? {
            Ok(())
        } else {
            Err(LedgerError::new(
                K::Storage,
                format!("`{}`: refused", self.location(path)),
            ))
        }
    }
}

/// Whether a `GetObjectLockConfiguration` body says Object Lock is enabled.
fn object_lock_enabled(body: &str) -> bool {
    body.split("<ObjectLockEnabled>")
        .nth(1)
        .and_then(|rest| rest.split("</ObjectLockEnabled>").next())
        .is_some_and(|v| v.trim() == "Enabled")
}

impl TileStore for LedgerS3 {
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        self.get(path).map(|o| o.map(|(b, _)| b))
    }
}

impl LedgerStorage for LedgerS3 {
    fn name(&self) -> String {
        format!("s3://{}/{}", self.bucket.name(), self.prefix)
    }

    fn create(&mut self, config_json: &[u8], checkpoint: &[u8]) -> Result<(), LedgerError> {
        // The first request is a read: bad endpoint or credentials fail before any write.
        if self.get("ledger.json")?.is_some() {
            return Err(LedgerError::new(
                K::Config,
                format!("`{}` already holds a ledger", self.name()),
            ));
        }
        let lock = self.lock_headers()?;
        self.check_object_lock()?;
        let none_match = [("if-none-match", "*".to_owned())];
        if !self.put("checkpoint", checkpoint, &none_match)? {
            return Err(LedgerError::new(
                K::Config,
                format!("`{}` already holds a checkpoint", self.name()),
            ));
        }
        let mut headers = lock;
        headers.push(("if-none-match", "*".to_owned()));
        if !self.put("ledger.json", config_json, &headers)? {
            return Err(LedgerError::new(
                K::Config,
                format!("`{}` already holds a ledger", self.name()),
            ));
        }
        Ok(())
    }

    fn checkpoint_tagged(&mut self) -> Result<(Vec<u8>, Tag), LedgerError> {
        self.get("checkpoint")?.ok_or_else(|| {
            LedgerError::new(
                K::Storage,
                format!("`{}`: no checkpoint", self.location("checkpoint")),
            )
        })
    }

    fn lock(&self) -> Result<LockGuard, LedgerError> {
        let started = std::time::Instant::now();
        loop {
            let now = crate::clock::now_utc();
            let now_s = seconds(&now).unwrap_or(0);
            let taken = match self.get(LOCK)? {
                None => self.put(LOCK, now.as_bytes(), &[("if-none-match", "*".to_owned())])?,
                // Free, or a lease older than LEASE (a crashed appender): swap on its version.
                Some((held, Some(etag)))
                    if held == FREE
                        || std::str::from_utf8(&held)
                            .ok()
                            .and_then(seconds)
                            .is_none_or(|t| now_s - t > LEASE.as_secs() as i64) =>
                {
                    self.put(LOCK, now.as_bytes(), &[("if-match", etag)])?
                }
                Some(_) => false,
            };
            if taken {
                return Ok(LockGuard::S3(Box::new(S3Lock(self.clone()))));
            }
            if started.elapsed() > LOCK_WAIT {
                return Err(LedgerError::new(
                    K::Conflict,
                    format!("`{}` is held by another appender", self.location(LOCK)),
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn store_bundle(&mut self, sha256_hex: &str, bytes: &[u8]) -> Result<(), LedgerError> {
        let path = format!("bundles/{sha256_hex}.zip");
        if self.exists(&path)? {
            return Ok(());
        }
        self.put_locked(&path, bytes)
    }

    fn commit(
        &mut self,
        writes: &[TileWrite],
        checkpoint: &[u8],
        tag: &Tag,
    ) -> Result<(), LedgerError> {
        for w in writes {
            if w.path.contains(".p/") {
                if !self.put(&w.path, &w.bytes, &[])? {
                    return Err(LedgerError::new(
                        K::Storage,
                        format!("`{}`: refused", w.path),
                    ));
                }
            } else {
                self.put_locked(&w.path, &w.bytes)?;
            }
        }
        self.replace_checkpoint(checkpoint, tag)
    }

    fn replace_checkpoint(&mut self, checkpoint: &[u8], tag: &Tag) -> Result<(), LedgerError> {
        let Some(etag) = tag else {
            return Err(LedgerError::new(
                K::StorageCas,
                "the store gave the checkpoint no ETag",
            ));
        };
        if self.put("checkpoint", checkpoint, &[("if-match", etag.clone())])? {
            Ok(())
        } else {
            Err(LedgerError::new(
                K::Conflict,
                "another appender replaced the checkpoint first",
            ))
        }
    }
}
