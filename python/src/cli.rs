//! The wheel's `sel` command: what `src/bin/sel/main.rs` does, for an
//! argument list handed over by Python (the process's own arguments are
//! the interpreter's). The commands are the binary's (`crate::commands`).

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches};

use sel::cli::Cli;

use crate::answer::Answer;

/// Runs the command line `argv` (program name first) and returns the exit
/// status: 0 ok, 1 a workspace or query error, 2 a wrong command line.
pub fn run(argv: Vec<OsString>) -> i32 {
    #[cfg(unix)]
    crate::last_resort::overflow::install();
    let matches = match Cli::command()
        .color(sel::cli::color_choice(argv.iter().skip(1).cloned()))
        .try_get_matches_from(argv)
    {
        Ok(matches) => matches,
        Err(e) => return print_clap(e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return print_clap(e),
    };
    crate::report::install_miette_hook(cli.color);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sel::condition::guard(|| crate::commands::run(cli).map(Answer::write_out))
    }));
    match outcome {
        Ok(Ok(Ok(()))) => 0,
        Ok(Ok(Err(e))) => {
            eprintln!("sel: cannot write output: {e}");
            1
        }
        Ok(Err(e)) => {
            let code = e.kind.exit_code();
            eprintln!("{:?}", crate::report::to_report(e));
            code
        }
        // The hook has reported it.
        Err(_) => 1,
    }
}

/// clap's help, version or error, printed; its exit status.
fn print_clap(e: clap::Error) -> i32 {
    e.print().ok();
    e.exit_code()
}
