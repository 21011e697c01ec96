//! `sel man` and `sel completions`: documents generated from the CLI types.

use clap::CommandFactory;

use sel::cli::{Cli, ManArgs};
use sel::error::{Error, ErrorKind};

/// `sel completions SHELL`: the script clap_complete generates from the CLI types.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sel", &mut out);
    String::from_utf8(out).expect("completion scripts are UTF-8")
}

/// `sel man [COMMAND]` prints one page; `sel man --dir DIR` writes them all.
pub fn run(args: &ManArgs) -> Result<String, Error> {
    let pages = sel::cli::man_pages();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::new(
                ErrorKind::Usage,
                format!("--dir {}: cannot create it: {e}", dir.display()),
            )
        })?;
        let mut written = String::new();
        for (name, roff) in pages {
            let path = dir.join(name);
            std::fs::write(&path, roff).map_err(|e| {
                Error::new(
                    ErrorKind::Usage,
                    format!("cannot write {}: {e}", path.display()),
                )
            })?;
            written.push_str(&format!("{}\n", path.display()));
        }
        return Ok(written);
    }
    let wanted = match &args.command {
        None => "sel.1".to_string(),
        Some(c) => format!("sel-{c}.1"),
    };
    let names: Vec<String> = pages
        .iter()
        .filter_map(|(n, _)| {
            n.strip_prefix("sel-")?
                .strip_suffix(".1")
                .map(str::to_string)
        })
        .collect();
    let (_, roff) = pages
        .into_iter()
        .find(|(n, _)| *n == wanted)
        .ok_or_else(|| {
            let command = args.command.clone().unwrap_or_default();
            Error::new(
                ErrorKind::Usage,
                format!("sel man {command}: no such subcommand"),
            )
            .with_help(
                sel::error::did_you_mean(&command, names.iter().map(|s| s.as_str()))
                    .unwrap_or_else(|| format!("the subcommands are: {}", names.join(", "))),
            )
        })?;
    Ok(String::from_utf8(roff).expect("roff is UTF-8"))
}
