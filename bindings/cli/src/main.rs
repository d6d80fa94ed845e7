//! The `clyra` binary: a thin shell over [`clyra_cli::run_on`].

use std::io::{self, IsTerminal};
use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = io::stdout();
    let terminal = clyra_cli::Terminal {
        stdout: stdout.is_terminal(),
        stderr: io::stderr().is_terminal(),
    };
    // stderr is not locked for the whole run: a progress bar may draw on it from another thread.
    // A bug (a panic) exits 4, never a verdict's code (clyra_cli::exit::guarded).
    let exit = clyra_cli::exit::guarded(|| {
        clyra_cli::run_on(
            std::env::args_os(),
            &mut io::stdin().lock(),
            &mut stdout.lock(),
            &mut io::stderr(),
            terminal,
        )
    });
    exit.into()
}
