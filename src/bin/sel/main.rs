//! The `sel` binary: parse the command line, hand it to the command it names
//! (`commands/`, one module each, as cargo keeps its own), write the answer
//! (`answer.rs`), and report errors with miette, exiting with SPEC's status
//! (0 ok, 1 workspace/query error, 2 command-line error). Everything a
//! command computes is the library's; what is here is plumbing.

mod answer;
mod commands;
mod last_resort;
mod report;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use sel::cli::Cli;

use answer::Answer;

#[global_allocator]
static GLOBAL: sel::build_file::memory::Budgeted<mimalloc::MiMalloc> =
    sel::build_file::memory::Budgeted::new(mimalloc::MiMalloc, last_resort::too_large);

fn main() -> ExitCode {
    #[cfg(unix)]
    last_resort::overflow::install();
    report::install_panic_hook();
    // clap prints its own help and errors before `--color` is parsed: look for
    // the flag first, so `--color never` holds for them too.
    let matches = Cli::command()
        .color(sel::cli::color_choice(std::env::args_os()))
        .get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    report::install_miette_hook(cli.color);
    // Output renders conditions too, so the algebra's bound is guarded through it.
    last_resort::guarded(|| {
        match sel::condition::guard(|| commands::run(cli).map(Answer::write_out)) {
            Ok(Ok(())) => ExitCode::SUCCESS,
            Ok(Err(e)) => {
                eprintln!("sel: cannot write output: {e}");
                ExitCode::from(1)
            }
            Err(e) => {
                let code = e.kind.exit_code();
                eprintln!("{:?}", report::to_report(e));
                ExitCode::from(code as u8)
            }
        }
    })
}
