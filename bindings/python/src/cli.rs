//! The Rust `clyra` command inside Python: the console script runs it through here, with the
//! process's real stdin, stdout and stderr, so commands, output and exit codes are the binary's.

use std::io::{self, IsTerminal};

use pyo3::prelude::*;

use crate::gil::released;

/// Runs `clyra` with `args` (the first item is the program name); returns the exit code.
#[pyfunction]
pub fn run(py: Python<'_>, args: Vec<String>) -> u8 {
    released(py, || {
        let stdout = io::stdout();
        let terminal = clyra_cli::Terminal {
            stdout: stdout.is_terminal(),
            stderr: io::stderr().is_terminal(),
        };
        // stderr is not locked for the whole run: a progress bar may draw on it from a thread.
        // A bug (a panic) exits 4, never a verdict's code (clyra_cli::exit::guarded).
        let exit = clyra_cli::exit::guarded(|| {
            clyra_cli::run_on(
                args,
                &mut io::stdin().lock(),
                &mut stdout.lock(),
                &mut io::stderr(),
                terminal,
            )
        });
        exit.code()
    })
}
