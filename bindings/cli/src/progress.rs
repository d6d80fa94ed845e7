//! A progress bar for long work (DESIGN §11: progress bars on long work, only on a terminal).
//!
//! Only when standard error is a terminal (`std::io::IsTerminal`, decided by `main`): never in
//! pipes, files or tests, so scripted output stays byte-exact. The work counts its bytes into an
//! atomic counter; a scoped reporter thread redraws one line on stderr every 100 ms once the work
//! has run for 300 ms (short runs draw nothing), and clears it when the work ends.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Delay before the bar first appears.
const GRACE: Duration = Duration::from_millis(300);
/// Redraw interval.
const TICK: Duration = Duration::from_millis(100);
/// Width of the bar, in cells.
const WIDTH: usize = 30;

/// Byte progress of one piece of work, drawn on a terminal when enabled.
pub(crate) struct Progress {
    label: &'static str,
    total: u64,
    done: AtomicU64,
    enabled: bool,
}

impl Progress {
    /// Progress of `total` bytes of work called `label`; drawn only when `enabled`.
    pub(crate) fn new(label: &'static str, total: u64, enabled: bool) -> Self {
        Self {
            label,
            total,
            done: AtomicU64::new(0),
            enabled,
        }
    }

    /// The counter the work adds its bytes to, when the bar is drawn (else the work skips it).
    pub(crate) fn counter(&self) -> Option<&AtomicU64> {
        self.enabled.then_some(&self.done)
    }

    /// Runs `work`, drawing the bar on stderr meanwhile when enabled.
    pub(crate) fn run<T>(&self, work: impl FnOnce() -> T) -> T {
        if !self.enabled {
            return work();
        }
        self.run_drawing_to(&mut io::stderr(), work)
    }

    /// [`Progress::run`] drawing to `out` (stderr in production, a buffer in tests).
    fn run_drawing_to<T>(&self, out: &mut (dyn Write + Send), work: impl FnOnce() -> T) -> T {
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let start = Instant::now();
                let mut drawn = false;
                while !stop.load(Ordering::Acquire) {
                    std::thread::sleep(TICK);
                    if start.elapsed() >= GRACE && !stop.load(Ordering::Acquire) {
                        let line =
                            render(self.label, self.done.load(Ordering::Relaxed), self.total);
                        // A terminal that refuses the bar is no reason to fail the work.
                        let _ = write!(out, "\r{line}").and_then(|()| out.flush());
                        drawn = true;
                    }
                }
                if drawn {
                    let _ = write!(out, "\r\x1b[2K").and_then(|()| out.flush());
                }
            });
            let result = work();
            stop.store(true, Ordering::Release);
            result
        })
    }
}

/// One line of the bar: `label [#####.....]  45%  460/1024 MiB`.
fn render(label: &str, done: u64, total: u64) -> String {
    let done = done.min(total);
    let fraction = if total == 0 {
        1.0
    } else {
        done as f64 / total as f64
    };
    let filled = ((fraction * WIDTH as f64) as usize).min(WIDTH);
    let mib = |b: u64| b / (1024 * 1024);
    format!(
        "{label} [{}{}] {:>3}% {}/{} MiB",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled),
        (fraction * 100.0) as u32,
        mib(done),
        mib(total)
    )
}

/// A reader that adds the bytes it reads to a progress counter.
pub(crate) struct Counted<'a, R> {
    inner: R,
    counter: Option<&'a AtomicU64>,
}

impl<'a, R> Counted<'a, R> {
    /// Wraps `inner`; without a counter it only passes reads through.
    pub(crate) fn new(inner: R, counter: Option<&'a AtomicU64>) -> Self {
        Self { inner, counter }
    }
}

impl<R: io::Read> io::Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(counter) = self.counter {
            counter.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

impl<R: io::Seek> io::Seek for Counted<'_, R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::{Arc, Mutex};

    #[test]
    fn render_draws_a_bounded_bar() {
        assert_eq!(
            render("verifying", 512 << 20, 1024 << 20),
            format!(
                "verifying [{}{}]  50% 512/1024 MiB",
                "#".repeat(15),
                ".".repeat(15)
            )
        );
        assert!(render("x", 5, 0).contains("100%"));
        assert!(render("x", 9 << 20, 4 << 20).contains("100% 4/4 MiB"));
    }

    #[test]
    fn disabled_progress_counts_nothing_and_draws_nothing() {
        let p = Progress::new("building", 10, false);
        assert!(p.counter().is_none());
        assert_eq!(p.run(|| 7), 7);
    }

    /// A writer the test can read afterwards.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn enabled_progress_draws_after_the_grace_period_and_clears() {
        let p = Progress::new("verifying", 100, true);
        let out = Shared::default();
        let mut writer = out.clone();
        p.run_drawing_to(&mut writer, || {
            let mut r = Counted::new(&[0u8; 40][..], p.counter());
            let mut sink = Vec::new();
            r.read_to_end(&mut sink).unwrap();
            std::thread::sleep(GRACE + 3 * TICK);
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("\rverifying ["), "{text:?}");
        assert!(text.contains(" 40% "), "{text:?}");
        assert!(text.ends_with("\r\x1b[2K"), "{text:?}");
        // Quick work draws nothing at all.
        let quiet = Shared::default();
        p.run_drawing_to(&mut quiet.clone(), || ());
        assert!(quiet.0.lock().unwrap().is_empty());
    }
}
