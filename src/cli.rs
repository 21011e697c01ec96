//! The command line, as clap derive types. `main.rs` turns these into library calls.
//!
//! The doc comments are the `--help` text, shown as written: `[licenses]`
//! there is sel.toml's table, not a link.
#![allow(rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::{Format, Order};

/// Evaluate Bazel-style dependency graphs with config_setting/select(), for one
/// configuration or all of them at once.
#[derive(Debug, Parser)]
#[command(name = "sel", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    /// Run as if sel was started in DIR (like `git -C`).
    #[arg(short = 'C', value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,

    /// Evaluate every BUILD file; neither read nor write the caches of packages and answers (.sel-cache/).
    #[arg(long, global = true)]
    pub no_cache: bool,

    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "\
How do I ...
  see everything //spam could ever depend on, in any configuration?
    sel query 'deps(//spam)'
  see what it depends on with CUDA 12?
    sel cquery 'deps(//spam)' --select cuda=12
  use a platform, or a named configuration of sel.toml?
    sel cquery 'deps(//spam)' --platform //platforms:linux-gpu
    sel cquery 'deps(//spam)' --config gpu --select license=copyleft
  find who depends on a GPL library?
    sel query 'rdeps(//..., //third_party/fftw)'
  draw the graph?
    sel query 'deps(//spam)' --output=graph | dot -Tsvg > spam.svg
  feed a license or security tool, or a build system?
    sel cquery 'deps(//spam)' --config gpu --output=json
    sel cquery 'deps(//spam)' --select cuda=12 --order=deps
  check the licenses against sel.toml's policy, in every configuration?
    sel licenses 'deps(//spam)' --check --all-configs
  get an SBOM (CycloneDX or SPDX)?
    sel sbom 'deps(//spam)' --config gpu --format spdx
  run from elsewhere?
    sel -C path/to/workspace query '//...'
  get completions and a man page?
    sel completions bash > ~/.local/share/bash-completion/completions/sel
    sel man > sel.1 && man ./sel.1

The query language is Bazel's (docs/query.md); `sel help query` has more.";

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

/// The `--color` of a command line, read before clap parses it, so that clap's
/// own help and error messages follow it too. (`Auto` leaves it to clap, which
/// colours only a terminal and honours `NO_COLOR`.)
pub fn color_choice(args: impl IntoIterator<Item = std::ffi::OsString>) -> clap::ColorChoice {
    let mut args = args.into_iter();
    let mut choice = clap::ColorChoice::Auto;
    while let Some(arg) = args.next() {
        let value = match arg.to_str() {
            Some("--") => break,
            Some("--color") => args.next(),
            Some(a) => a.strip_prefix("--color=").map(Into::into),
            None => None,
        };
        match value.as_ref().and_then(|v| v.to_str()) {
            Some("always") => choice = clap::ColorChoice::Always,
            Some("never") => choice = clap::ColorChoice::Never,
            Some("auto") => choice = clap::ColorChoice::Auto,
            _ => {}
        }
    }
    choice
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Query the unconfigured graph: every branch of every select is an edge.
    #[command(after_help = QUERY_EXAMPLES)]
    Query(QueryArgs),
    /// Query the graph configured by selector values.
    #[command(after_help = CQUERY_EXAMPLES)]
    Cquery(CqueryArgs),
    /// The distinct results of a query over every configuration: classes of
    /// configurations that give the same answer.
    #[command(after_help = "\
How do I ...
  see every distinct set of packages //spam can resolve to?
    sel matrix 'deps(//spam)'
  the same with CUDA fixed?
    sel matrix 'deps(//spam)' --select cuda=12
  feed it to a tool?
    sel matrix 'deps(//spam)' --output=json")]
    Matrix(MatrixArgs),
    /// Why TO is in deps(FROM): the paths, the select keys on each edge, and the condition.
    #[command(after_help = "\
How do I ...
  find which selector values pull a GPL package into //spam?
    sel why //spam //third_party/fftw
  ask for one CUDA version only?
    sel why //spam //third_party/cuda:cudart-12 --select cuda=12")]
    Why(WhyArgs),
    /// Check every configuration statically: no-match and ambiguous selects,
    /// missing or invisible dependencies, cycles, branches never taken.
    #[command(after_help = "\
How do I ...
  check the whole workspace (exit status 1 on an error)?
    sel check
  check one package and what it depends on?
    sel check //spam/...")]
    Check(CheckArgs),
    /// The fewest images that serve every configuration: groups of
    /// configurations whose unions hold no two providers of an exclusive
    /// capability and no conflicting packages.
    #[command(after_help = "\
How do I ...
  find the container images //spam needs to run on every machine?
    sel images 'deps(//spam)'
  with the licence policy fixed?
    sel images 'deps(//spam)' --select license=permissive
  feed it to a tool?
    sel images 'deps(//spam)' --output=json")]
    Images(ImagesArgs),
    /// The packages of a configured result with their licenses, grouped by
    /// license; with --check, the violations of sel.toml's [licenses] policy.
    #[command(after_help = "\
How do I ...
  list the licenses //spam ships with by default?
    sel licenses 'deps(//spam)'
  with CUDA 12, as JSON?
    sel licenses 'deps(//spam)' --select cuda=12 --output=json
  check them against the policy of sel.toml (exit status 1 on a violation)?
    sel licenses 'deps(//spam)' --check
  check every configuration at once, with the condition of each violation?
    sel licenses 'deps(//spam)' --check --all-configs

The policy is the [licenses] table of sel.toml (docs/licenses.md).")]
    Licenses(LicensesArgs),
    /// A software bill of materials of a configured result: CycloneDX 1.6 or SPDX 2.3 JSON.
    #[command(after_help = "\
How do I ...
  get a CycloneDX SBOM of //spam on the GPU platform?
    sel sbom 'deps(//spam)' --platform //platforms:linux-gpu > spam.cdx.json
  get SPDX instead?
    sel sbom 'deps(//spam)' --format spdx > spam.spdx.json
  one document for every configuration, conditional packages marked?
    sel sbom 'deps(//spam)' --all-configs
  a creation time in the document?
    SOURCE_DATE_EPOCH=$(date +%s) sel sbom 'deps(//spam)'

The documents are described in docs/sbom.md.")]
    Sbom(SbomArgs),
    /// Write a sel workspace from a Python lock file (uv.lock or pylock.toml):
    /// a package per distribution, PEP 508 markers as selectors and conditions.
    #[command(after_help = "\
How do I ...
  turn my project's uv.lock into a workspace, and query it?
    sel import uv.lock --out lock-graph
    sel -C lock-graph cquery 'deps(//:root)' --platform //platforms:linux-x86_64 --select python_full_version=3.12
  see under which markers each package is installed?
    sel -C lock-graph cquery 'deps(//:root)' --all-configs

The mapping from markers to selectors is described in docs/import.md.")]
    Import(ImportArgs),
    /// Export the packages of a query in another format.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Probe this machine (OS, CPU level, C library, CUDA driver, Python) and
    /// show the value each selector bound to a probe takes; --host uses them.
    #[command(after_help = "\
How do I ...
  see what sel finds on this machine, and the selector values it gives?
    sel detect
  save it, and use it on another machine (a CPU-only image builder)?
    sel detect --output=json > host.json
    sel cquery 'deps(//spam)' --host-from host.json
  query for this machine?
    sel cquery 'deps(//spam)' --host
  pretend to be a CUDA 12.4 machine, or one without CUDA?
    SEL_DETECT_CUDA_DRIVER=12.4 sel cquery 'deps(//spam)' --host
    SEL_DETECT_CUDA_DRIVER= sel detect
  compare with a wheel-variant provider?
    sel detect --output=variants

The probes, their overrides and the snapshot format are described in docs/detect.md.")]
    Detect(DetectArgs),
    /// The isolated NVIDIA driver probe that `sel detect` runs in a child process.
    #[command(name = "__detect-nvidia", hide = true)]
    DetectNvidia,
    /// Print a shell completion script.
    #[command(after_help = "\
How do I ...
  complete sel in bash?
    sel completions bash > ~/.local/share/bash-completion/completions/sel
  in zsh? (a directory on your $fpath)
    sel completions zsh > ~/.zfunc/_sel
  in fish?
    sel completions fish > ~/.config/fish/completions/sel.fish")]
    Completions(CompletionsArgs),
    /// Print a man page (roff), generated from this command line.
    #[command(after_help = "\
How do I ...
  read it?
    sel man | man -l -
  install the pages of sel and of every subcommand?
    sel man --dir /usr/local/share/man/man1")]
    Man(ManArgs),
}

const QUERY_EXAMPLES: &str = "\
How do I ...
  list everything //spam could ever depend on?
    sel query 'deps(//spam)'
  see only its direct dependencies?
    sel query 'deps(//spam, 1)'
  find who depends on a library?
    sel query 'rdeps(//..., //third_party/fftw)'
  see how one target reaches another?
    sel query 'somepath(//spam, //third_party/fftw)'
  list the aliases, with their kind?
    sel query 'kind(alias, //...)' --output=label_kind
  see the selects as written?
    sel query //spam:spam-core --output=build
  draw it? (dashed edges exist only through select branches, labelled with their keys)
    sel query 'deps(//spam)' --output=graph | dot -Tsvg > spam.svg
  get the packages (directories) involved?
    sel query 'deps(//spam)' --output=package

Patterns: //pkg:name, //pkg (= //pkg:pkg), //pkg:all, //pkg/..., //... .
Functions: deps, rdeps, allpaths, somepath, kind, attr, filter, labels,
siblings, let; set operators + - ^ (union, except, intersect).";

const CQUERY_EXAMPLES: &str = "\
How do I ...
  see what //spam depends on with CUDA 12?
    sel cquery 'deps(//spam)' --select cuda=12
  set several selectors, by label or by unique name?
    sel cquery 'deps(//spam)' --select //flags:cuda=12 --select cpu=x86-64-v3
  set a selector that holds several values at once (a string_list_flag)?
    sel cquery 'deps(//app)' --select cpu_features=avx2,fma
    (its elements joined with commas; `--select cpu_features=` for none)
  use a platform's selector values?
    sel cquery 'deps(//spam)' --platform //platforms:linux-gpu
  use a named configuration of sel.toml ([config.gpu])?
    sel cquery 'deps(//spam)' --config gpu
    (--select wins over --config, which wins over --platform)
  see the resolved attributes and which select keys were chosen?
    sel cquery //spam:spam-core --select license=copyleft --output=build
  feed a license or security tool? (docs/json.md)
    sel cquery 'deps(//spam)' --config gpu --output=json
  get a build order, dependencies first?
    sel cquery 'deps(//spam)' --select cuda=12 --order=deps

A selector not set takes its default; an unknown selector or value is an error.";

/// Arguments of `sel query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The query expression, in Bazel's query language (see docs/query.md).
    pub expr: String,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Label)]
    pub output: Format,
    /// The order of targets: by label, or dependencies before dependents.
    #[arg(long, value_enum, default_value_t = Order::Sorted)]
    pub order: Order,
}

/// Arguments of `sel cquery`.
#[derive(Debug, Args)]
pub struct CqueryArgs {
    /// The query expression, in Bazel's query language (see docs/query.md).
    pub expr: String,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Label)]
    pub output: Format,
    /// The order of targets: by label, or dependencies before dependents.
    #[arg(long, value_enum, default_value_t = Order::Sorted)]
    pub order: Order,
    /// Answer for every configuration at once: each target with the condition
    /// under which it is in the result. Selectors set with --select stay fixed.
    #[arg(long)]
    pub all_configs: bool,
    /// The union over every configuration of the selectors --select leaves
    /// free: what one image must hold to serve all those machines, each
    /// target with its condition as --all-configs gives it, and the clashes
    /// the union holds (docs/capabilities.md).
    #[arg(long, conflicts_with = "all_configs")]
    pub union: bool,
    /// Print the result even where a target's closure holds two providers of
    /// an exclusive capability or two conflicting packages (sel::clash).
    #[arg(long)]
    pub allow_clashes: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// The formats of the all-configurations commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For people.
    Text,
    /// The documented JSON schema (docs/json.md).
    Json,
}

/// Arguments of `sel matrix`.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// The query expression.
    pub expr: String,
    /// The output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
    /// Stop with an error (sel::too_many_classes) past this many classes, rather than
    /// listing astronomically many. Text output prints the classes found until then.
    #[arg(long, value_name = "N", default_value_t = crate::matrix::DEFAULT_MAX_CLASSES)]
    pub max_classes: usize,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Arguments of `sel why`.
#[derive(Debug, Args)]
pub struct WhyArgs {
    /// The depending target.
    pub from: String,
    /// The dependency to explain.
    pub to: String,
    /// The output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Arguments of `sel check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The targets to check: a pattern, or a query expression such as
    /// 'deps(//spam)'.
    #[arg(default_value = "//...")]
    pub pattern: String,
    /// The output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Arguments of `sel images`.
#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// The query expression whose result an image holds, e.g. 'deps(//spam)'.
    pub expr: String,
    /// The output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
    /// Stop with an error (sel::too_many_classes) when the configurations fall
    /// into more than this many classes of clashing providers.
    #[arg(long, value_name = "N", default_value_t = crate::matrix::DEFAULT_MAX_CLASSES)]
    pub max_classes: usize,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Arguments of `sel licenses`.
#[derive(Debug, Args)]
pub struct LicensesArgs {
    /// The query expression whose packages to list, e.g. 'deps(//spam)'.
    pub expr: String,
    /// Check the licenses against the [licenses] policy of sel.toml; exit
    /// status 1 on a violation.
    #[arg(long)]
    pub check: bool,
    /// Answer for every configuration at once, each package and violation
    /// with its condition. Selectors set with --select stay fixed.
    #[arg(long)]
    pub all_configs: bool,
    /// The output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// The SBOM formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// Arguments of `sel sbom`.
#[derive(Debug, Args)]
pub struct SbomArgs {
    /// The query expression whose packages the document lists, e.g. 'deps(//spam)'.
    pub expr: String,
    /// The document format.
    #[arg(long, value_enum, default_value_t = SbomFormat::Cyclonedx)]
    pub format: SbomFormat,
    /// One document for every configuration: components present only in some
    /// carry their condition. Selectors set with --select stay fixed.
    #[arg(long)]
    pub all_configs: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Arguments of `sel import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The lock file: uv.lock, pylock.toml or pylock.NAME.toml.
    pub lockfile: PathBuf,
    /// The directory to write the workspace into (created if needed). Files that
    /// `sel import` did not write are never overwritten.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
}

/// The formats of `sel export`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A requirements file in the format of `uv export`: `name==version ; marker`.
    #[command(after_help = "\
How do I ...
  get the requirements of one environment?
    sel export requirements 'deps(//:root)' --platform //platforms:linux-x86_64 --select python_full_version=3.12
  get them for every environment, each with its PEP 508 marker?
    sel export requirements 'deps(//:root)' --all-configs
  with the extra `cuda` on, for every environment?
    sel export requirements 'deps(//:root)' --all-configs --select cuda=on")]
    Requirements(RequirementsArgs),
}

/// Arguments of `sel export requirements`.
#[derive(Debug, Args)]
pub struct RequirementsArgs {
    /// The query expression whose packages to list, e.g. 'deps(//:root)'.
    pub expr: String,
    /// Every configuration at once: each line with the PEP 508 marker under which
    /// the package is present. Selectors set with --select stay fixed.
    #[arg(long)]
    pub all_configs: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// The formats of `sel detect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DetectFormat {
    /// For people.
    Text,
    /// The host snapshot (`sel.host/v1`, docs/detect.md) and the bound selectors.
    Json,
    /// PEP 817 wheel-variant properties (`x86_64 :: level :: v3`).
    Variants,
}

/// Arguments of `sel detect`.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// The output format.
    #[arg(long, value_enum, default_value_t = DetectFormat::Text)]
    pub output: DetectFormat,
    /// Show the facts of a snapshot (written by `sel detect --output=json`)
    /// instead of probing this machine.
    #[arg(long, value_name = "FILE")]
    pub host_from: Option<PathBuf>,
    /// The Python interpreter whose PEP 508 marker environment to ask
    /// (default: python3, else python, on PATH).
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
}

/// How a configuration is chosen on the command line.
#[derive(Clone, Debug, Args, Default)]
pub struct ConfigArgs {
    /// Set a selector: NAME=VALUE, NAME a selector label or its unique short
    /// name; a list (string_list_flag) is its elements joined with commas, or
    /// nothing for none.
    #[arg(long = "select", short = 's', value_name = "NAME=VALUE")]
    pub selects: Vec<String>,
    /// Take selector values from a platform target.
    #[arg(long, value_name = "LABEL")]
    pub platform: Option<String>,
    /// Use a named configuration of sel.toml (`[config.NAME]`); --select wins over it.
    #[arg(long = "config", value_name = "NAME")]
    pub config: Option<String>,
    /// Set every selector bound to a probe (`detect = ...`) to the value this
    /// machine gives it (see `sel detect`); --select wins over it.
    #[arg(long, conflicts_with = "host_from")]
    pub host: bool,
    /// Like --host, with the facts of a snapshot written by `sel detect --output=json`.
    #[arg(long, value_name = "FILE")]
    pub host_from: Option<PathBuf>,
    /// With --host: the Python interpreter to ask for the PEP 508 markers
    /// (default: python3, else python, on PATH).
    #[arg(long, value_name = "PATH", requires = "host")]
    pub python: Option<PathBuf>,
}

/// Arguments of `sel completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `sel man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (`sel man cquery` prints sel-cquery(1)).
    pub command: Option<String>,
    /// Write every page (sel.1, sel-query.1, ...) into DIR instead of printing one.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
}

/// The man pages of sel and of each subcommand, as (file name, roff text):
/// `sel.1` first, then `sel-query.1`, ... They are generated from these types,
/// so they never disagree with `--help`.
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    fn pages(cmd: clap::Command, out: &mut Vec<(String, Vec<u8>)>) {
        let man = clap_mangen::Man::new(cmd.clone());
        let mut roff = Vec::new();
        man.render(&mut roff)
            .expect("rendering into memory does not fail");
        out.push((man.get_filename(), roff));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            pages(sub.clone(), out);
        }
    }
    let mut cmd = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    pages(cmd, &mut out);
    out
}
