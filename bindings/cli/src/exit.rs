//! The process exit codes of `clyra`, one table for every command (DESIGN §8).
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success; for verification: VALID without warnings |
//! | 1 | INVALID |
//! | 2 | VALID with warnings, or VALID_UNTRUSTED |
//! | 3 | INDETERMINATE |
//! | 4 | could not run: usage error, unreadable path, bad input, trust or policy file |

use std::io::Write;
use std::process::{ExitCode, Termination};

/// How a `clyra` run ended. Convert it with [`Exit::code`] or into an [`ExitCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: the command did what was asked; a verification found the evidence VALID.
    Ok,
    /// 1: the evidence is INVALID.
    Invalid,
    /// 2: VALID with warnings, or VALID_UNTRUSTED (signed by a key the trust file does not hold).
    Warning,
    /// 3: INDETERMINATE: the evidence cannot be judged (unknown format or scheme, a future time).
    Indeterminate,
    /// 4: the command could not run: usage error, unreadable path, or a bad input file.
    Usage,
}

impl Exit {
    /// The numeric process exit code.
    pub const fn code(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Invalid => 1,
            Self::Warning => 2,
            Self::Indeterminate => 3,
            Self::Usage => 4,
        }
    }
}

/// Runs `command` and turns an internal failure (a panic, on this thread or on a scoped thread it
/// joined) into [`Exit::Usage`] with a message on stderr: a bug must never exit 0–3, the codes
/// of verdicts (verdicts.md §1.4). The panic's own message is printed by the panic hook first.
pub fn guarded(command: impl FnOnce() -> Exit) -> Exit {
    // AssertUnwindSafe: after a panic nothing the command touched is used again; the process
    // only reports and exits.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(command)) {
        Ok(exit) => exit,
        Err(_) => {
            // A failed write to stderr cannot be reported anywhere else.
            let _ = writeln!(
                std::io::stderr(),
                "clyra: internal error (a bug; please report it): exit 4"
            );
            Exit::Usage
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

impl Termination for Exit {
    fn report(self) -> ExitCode {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    use super::{guarded, Exit};

    #[test]
    fn an_internal_failure_exits_4() {
        // The function `main` runs every command through: a panic anywhere in the command,
        // including on a scoped worker thread it joins, becomes exit 4, never 0-3.
        let exit = guarded(|| panic!("simulated bug"));
        assert_eq!(exit.code(), 4);
        let exit = guarded(|| {
            std::thread::scope(|s| {
                s.spawn(|| panic!("simulated bug on a worker"));
            });
            Exit::Ok
        });
        assert_eq!(exit.code(), 4);
        assert_eq!(guarded(|| Exit::Warning).code(), 2);
    }

    #[test]
    fn codes_follow_the_design_table() {
        let codes = [
            Exit::Ok,
            Exit::Invalid,
            Exit::Warning,
            Exit::Indeterminate,
            Exit::Usage,
        ]
        .map(Exit::code);
        assert_eq!(codes, [0, 1, 2, 3, 4]);
    }
}
