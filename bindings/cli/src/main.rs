//! The `clyra` binary: a thin shell over [`clyra_cli::run_with`].

use std::io::{self, IsTerminal};
use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = io::stdout();
    let is_terminal = stdout.is_terminal();
    let exit = clyra_cli::run_with(
        std::env::args_os(),
        &mut io::stdin().lock(),
        &mut stdout.lock(),
        &mut io::stderr().lock(),
        is_terminal,
    );
    exit.into()
}
