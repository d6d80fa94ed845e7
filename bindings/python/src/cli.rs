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
        let is_terminal = stdout.is_terminal();
        let exit = clyra_cli::run_with(
            args,
            &mut io::stdin().lock(),
            &mut stdout.lock(),
            &mut io::stderr().lock(),
            is_terminal,
        );
        exit.code()
    })
}
