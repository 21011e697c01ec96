//! The command line, as clap derive types. `main.rs` turns these into library calls.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;

/// Evaluate Bazel-style dependency graphs with config_setting/select(), for one
/// configuration or all of them at once.
#[derive(Debug, Parser)]
#[command(name = "sel", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    /// Run as if sel was started in DIR (like `git -C`).
    #[arg(short = 'C', value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,

    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "\
Examples:
  sel query 'deps(//spam)'                       everything //spam could ever need
  sel cquery 'deps(//spam)' --select cuda=12     what it needs with CUDA 12
  sel cquery 'deps(//spam)' --output=json        for license and security tools";

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colour when stderr is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Query the unconfigured graph: every branch of every select is an edge.
    #[command(after_help = "\
Examples:
  sel query 'deps(//spam)'
  sel query 'rdeps(//..., //third_party:gpl-lib)'
  sel query 'kind(alias, //...)' --output=label_kind")]
    Query(QueryArgs),
    /// Query the graph configured by selector values.
    #[command(after_help = "\
Examples:
  sel cquery 'deps(//spam)' --select cuda=12
  sel cquery 'deps(//spam)' --select //flags:cuda=12 --select cpu=x86-64-v3
  sel cquery 'deps(//spam)' --platform //platforms:linux-gpu --output=json")]
    Cquery(CqueryArgs),
}

/// Arguments of `sel query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The query expression, in Bazel's query language (see docs/query.md).
    pub expr: String,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Label)]
    pub output: Format,
}

/// Arguments of `sel cquery`.
#[derive(Debug, Args)]
pub struct CqueryArgs {
    /// The query expression, in Bazel's query language (see docs/query.md).
    pub expr: String,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Label)]
    pub output: Format,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// How a configuration is chosen on the command line.
#[derive(Debug, Args, Default)]
pub struct ConfigArgs {
    /// Set a selector: NAME=VALUE, NAME a selector label or its unique short name.
    #[arg(long = "select", short = 's', value_name = "NAME=VALUE")]
    pub selects: Vec<String>,
    /// Take selector values from a platform target.
    #[arg(long, value_name = "LABEL")]
    pub platform: Option<String>,
    /// Use a named configuration of sel.toml (`[config.NAME]`); --select wins over it.
    #[arg(long = "config", value_name = "NAME")]
    pub config: Option<String>,
}
