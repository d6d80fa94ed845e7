//! The process exit codes of `clyra`, one table for every command (DESIGN §8).
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success; for verification: VALID without warnings |
//! | 1 | INVALID |
//! | 2 | VALID with warnings, or VALID_UNTRUSTED |
//! | 3 | INDETERMINATE |
//! | 4 | could not run: usage error, unreadable path, bad input, trust or policy file |

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
    use super::Exit;

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
