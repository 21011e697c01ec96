//! The `sel` binary: parse the command line, call the library, render errors
//! with miette, and exit with SPEC's status (0 ok, 1 workspace/query error,
//! 2 command-line error).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use miette::{LabeledSpan, MietteDiagnostic, NamedSource, Report};

use sel::cli::{Cli, Color, Command, ConfigArgs, ManArgs, ReportFormat, SbomFormat};
use sel::cli::{CqueryArgs, ExportCommand, ImportArgs, QueryArgs};
use sel::error::{Error, ErrorKind};
use sel::output::all_configs;
use sel::output::{Command as OutputCommand, Options};
use sel::workspace::Workspace;
use sel::{QueryResult, Request, Session};

#[global_allocator]
static GLOBAL: sel::build_file::memory::Budgeted<mimalloc::MiMalloc> =
    sel::build_file::memory::Budgeted::new(mimalloc::MiMalloc, too_large);

/// A file's evaluation asked for memory far past its budget at once (a
/// string or list repeated a billion times): an allocator cannot refuse it
/// without aborting, so report it as `sel::eval` and exit here.
fn too_large(file: &str, bytes: usize, budget: usize) -> ! {
    static EXITING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if EXITING.swap(true, std::sync::atomic::Ordering::SeqCst) {
        // Another thread is reporting; it exits for both.
        loop {
            std::thread::park();
        }
    }
    eprintln!(
        "sel::eval\n\n  x evaluation of `{file}` asked for {bytes} bytes at once, more than its memory budget ({} MiB in all, {} MiB for one value) allows\n  help: a string or list repeated (or replaced) into billions of elements?",
        budget >> 20,
        budget >> 22
    );
    std::process::exit(1)
}

fn main() -> ExitCode {
    #[cfg(unix)]
    overflow::install();
    // Panics inside BUILD evaluation become errors (sel::eval); say nothing
    // twice. Any other is a bug: a short report asking for it to be
    // reported, never a raw backtrace (`SEL_BACKTRACE=1` adds one), and
    // exit 1 (see `guarded`).
    std::panic::set_hook(Box::new(|info| {
        // The condition algebra's bound unwinds to `condition::guard`, which
        // reports it as sel::conditions_too_large.
        if sel::build_file::is_evaluating() || info.payload().is::<sel::condition::TooLarge>() {
            return;
        }
        let payload = info.payload();
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic");
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "sel::internal\n\n  x internal error: {what}{place}\n  help: this is a bug in sel {}; please report it, with the command and the files it read",
            env!("CARGO_PKG_VERSION")
        );
        if std::env::var_os("SEL_BACKTRACE").is_some_and(|v| v == "1") {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
    // clap prints its own help and errors before `--color` is parsed: look for
    // the flag first, so `--color never` holds for them too.
    let matches = Cli::command()
        .color(sel::cli::color_choice(std::env::args_os()))
        .get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .terminal_links(false)
                // Wrapping would break labels at `/` and `-` (`//pkg:linux-` / `only`),
                // which reads as a different label; terminals wrap long lines anyway.
                .wrap_lines(false)
                .build(),
        )
    }))
    .ok();
    // Output renders conditions too, so the algebra's bound is guarded through it.
    guarded(
        || match sel::condition::guard(|| run(cli).map(Answer::write_out)) {
            Ok(Ok(())) => ExitCode::SUCCESS,
            Ok(Err(e)) => {
                eprintln!("sel: cannot write output: {e}");
                ExitCode::from(1)
            }
            Err(e) => {
                let code = e.kind.exit_code();
                eprintln!("{:?}", to_report(e));
                ExitCode::from(code as u8)
            }
        },
    )
}

/// The last resort for a stack overflow while a file is evaluated: Starlark
/// recurses on values (`str()` of a list nested millions of levels deep,
/// built by a loop), and no error can be returned from there. The faulting
/// thread, if it is evaluating, reports the file as `sel::eval` and the
/// process exits 1; any other fault goes to the handler that was there
/// before (Rust's, which reports a stack overflow and aborts).
#[cfg(unix)]
mod overflow {
    use std::mem::MaybeUninit;

    static mut PREVIOUS: [MaybeUninit<libc::sigaction>; 2] =
        [MaybeUninit::zeroed(), MaybeUninit::zeroed()];
    const SIGNALS: [libc::c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];

    fn write(text: &[u8]) {
        // SAFETY: write(2) is async-signal-safe; a short write loses text only.
        unsafe { libc::write(2, text.as_ptr().cast(), text.len()) };
    }

    extern "C" fn on_fault(signal: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
        if sel::build_file::is_evaluating() {
            let file = sel::build_file::memory::evaluated_file().unwrap_or("a BUILD or .bzl file");
            write(b"sel::eval\n\n  x evaluation of `");
            write(file.as_bytes());
            write(b"` recursed deeper than the stack holds\n  help: a value nested about a million levels deep (a list wrapped in a list in a loop)?\n");
            // SAFETY: _exit is async-signal-safe and ends the process at once.
            unsafe { libc::_exit(1) };
        }
        let i = SIGNALS.iter().position(|s| *s == signal).unwrap_or(0);
        // SAFETY: PREVIOUS was written by `install` before this handler could run;
        // restoring it makes the faulting instruction, run again, reach it.
        unsafe {
            let previous = std::ptr::addr_of!(PREVIOUS[i]).cast::<libc::sigaction>();
            libc::sigaction(signal, previous, std::ptr::null_mut());
        }
    }

    /// Installs the handler for SIGSEGV and SIGBUS, on the alternate signal
    /// stack Rust gives every thread it starts.
    pub fn install() {
        for (i, signal) in SIGNALS.into_iter().enumerate() {
            // SAFETY: a plain sigaction call with a handler that only calls
            // async-signal-safe functions; PREVIOUS is written only here,
            // before any fault can reach the handler.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_fault as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let previous = std::ptr::addr_of_mut!(PREVIOUS[i]).cast::<libc::sigaction>();
                libc::sigaction(signal, &action, previous);
            }
        }
    }
}

/// Runs the command; a panic (the hook in `main` has reported it) exits 1,
/// not 101. A broken pipe is no panic: `Answer::write` returns it.
fn guarded(command: impl FnOnce() -> ExitCode) -> ExitCode {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // tests/hostile.rs checks the report of a panic with this.
        #[cfg(debug_assertions)]
        if std::env::var_os("SEL_PANIC_FOR_TESTS").is_some() {
            panic!("SEL_PANIC_FOR_TESTS is set");
        }
        command()
    }))
    .unwrap_or_else(|_| ExitCode::from(1))
}

fn run(cli: Cli) -> Result<Answer, Error> {
    // Commands about sel itself need no workspace.
    match &cli.command {
        Command::Completions(args) => return Ok(completions(args.shell).into()),
        Command::Man(args) => return man(args).map(Answer::from),
        Command::Import(args) => return import(cli.directory.as_deref(), args).map(Answer::from),
        Command::Export(_) => {}
        Command::Query(_)
        | Command::Cquery(_)
        | Command::Matrix(_)
        | Command::Why(_)
        | Command::Check(_)
        | Command::Licenses(_)
        | Command::Sbom(_) => {}
    }
    let dir = cli.directory.clone().unwrap_or_else(|| PathBuf::from("."));
    if !dir.is_dir() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("-C {}: no such directory", dir.display()),
        ));
    }
    let use_cache = !cli.no_cache;
    // Every command from here on answers from the loaded workspace (leaked:
    // see `leak`); `query` and `cquery` may answer from the answer cache.
    let open = || Session::open_with(&dir, use_cache).map(leak);
    match cli.command {
        Command::Query(args) => {
            sel::timing::start();
            let workspace = Workspace::discover(&dir)?;
            if use_cache && sel::query_loads_everything(&workspace, &args.expr) {
                return answered(workspace, no_recompute, |session| {
                    let result = session.query(&args.expr)?;
                    Ok(Body::Rendered(session, result, query_options(args)).into())
                });
            }
            // `query` loads only the packages its patterns can reach; its
            // answer may be kept, with the files of those packages.
            let key = sel::answers::Key::of_this_process();
            if use_cache {
                use sel::answers::ClosureLookup;
                match sel::answers::lookup_closure(&workspace, key) {
                    ClosureLookup::Hit(kept) => return Ok(kept.into()),
                    ClosureLookup::Stale(stale) => {
                        let covered = stale.covered.unwrap_or_default();
                        let mode = sel::incremental::Mode::Unconfigured(&covered);
                        if let Some(text) = sel::incremental::recompute(
                            &workspace,
                            &stale.text,
                            &stale.graph,
                            stale.changed,
                            mode,
                        ) {
                            return Ok(text.into());
                        }
                    }
                    ClosureLookup::Miss => {}
                }
            }
            let (session, result, inputs) =
                Session::load_and_query(workspace, use_cache, &args.expr)?;
            let session = leak(session);
            // An answer that prints each target of the closure as an item
            // of its own may be recomputed.
            let shape = sel::incremental::Shape::of(args.output, args.order);
            let graph = shape
                .filter(|_| use_cache && inputs.is_some())
                .and_then(|shape| session.kept_graph(&args.expr, &result, shape));
            Ok(Answer {
                keep: inputs
                    .filter(|_| use_cache)
                    .map(|inputs| sel::answers::Pending {
                        root: session.workspace.root.clone(),
                        key,
                        inputs,
                        closure: true,
                        graph,
                    }),
                ..Body::Rendered(session, result, query_options(args)).into()
            })
        }
        Command::Cquery(args) if !use_cache => cquery(open()?, args, false),
        Command::Cquery(args) => {
            sel::timing::start();
            let config = args.config.clone();
            let recompute = move |workspace: &Workspace, stale: sel::answers::Stale| {
                // A request that fails fails the full run too, which says why.
                let request = request(workspace, &config).ok()?;
                sel::incremental::recompute(
                    workspace,
                    &stale.text,
                    &stale.graph,
                    stale.changed,
                    sel::incremental::Mode::Configured(&request),
                )
            };
            answered(Workspace::discover(&dir)?, recompute, |session| {
                cquery(session, args, true)
            })
        }
        command => other_command(command, open).map(Answer::from),
    }
}

/// The options of `sel query`'s output.
fn query_options(args: QueryArgs) -> Options {
    Options {
        format: args.output,
        order: args.order,
        command: OutputCommand::Query,
        query: args.expr,
    }
}

/// The commands other than `query` and `cquery`, on the workspace `open` loads.
fn other_command(
    command: Command,
    open: impl Fn() -> Result<&'static Session, Error>,
) -> Result<String, Error> {
    match command {
        Command::Matrix(args) => {
            let session = open()?;
            let request = request(&session.workspace, &args.config)?;
            let result = session.cquery_all(&args.expr, &request)?;
            match args.output {
                ReportFormat::Text => {
                    matrix_streamed(&result, args.max_classes)?;
                    Ok(String::new())
                }
                ReportFormat::Json => {
                    let classes = sel::matrix::classes(&result, args.max_classes)?;
                    Ok(json_text(&all_configs::matrix_json(
                        &result, &classes, &args.expr,
                    )))
                }
            }
        }
        Command::Why(args) => {
            let session = open()?;
            let request = request(&session.workspace, &args.config)?;
            let why = session.why(&args.from, &args.to, &request)?;
            Ok(match args.output {
                ReportFormat::Text => all_configs::why_text(&why),
                ReportFormat::Json => json_text(&all_configs::why_json(&why)),
            })
        }
        Command::Check(args) => {
            let session = open()?;
            let request = request(&session.workspace, &args.config)?;
            let report = session.check(&args.pattern, &request)?;
            let text = match args.output {
                ReportFormat::Text => all_configs::check_text(&report),
                ReportFormat::Json => json_text(&all_configs::check_json(&report)),
            };
            if report.has_errors() {
                // The findings are the answer; the exit status says they hold errors.
                Answer::from(text).write().ok();
                return Err(Error::new(ErrorKind::Check, "sel check found errors"));
            }
            Ok(text)
        }
        Command::Licenses(args) => {
            let session = open()?;
            let request = request(&session.workspace, &args.config)?;
            let report = if args.all_configs {
                session.licenses_all(&args.expr, &request, args.check)?
            } else {
                session.licenses(&args.expr, &request, args.check)?
            };
            let text = match args.output {
                ReportFormat::Text => sel::license::render::text(&report),
                ReportFormat::Json => json_text(&sel::license::render::json(&report)),
            };
            if report.failed() {
                // The violations are the answer; the exit status says there are some.
                Answer::from(text).write().ok();
                return Err(Error::new(
                    ErrorKind::LicenseViolation,
                    "the licenses break the policy of sel.toml",
                ));
            }
            Ok(text)
        }
        Command::Sbom(args) => {
            let session = open()?;
            let request = request(&session.workspace, &args.config)?;
            let sbom = if args.all_configs {
                session.sbom_all(&args.expr, &request)?
            } else {
                session.sbom(&args.expr, &request)?
            };
            let options = sel::sbom::Options {
                created: source_date_epoch()?,
            };
            if let Some(alg) = &sbom.algebra {
                for f in &sbom.failures {
                    eprintln!(
                        "warning: evaluation fails where {}: {} [{}]",
                        alg.render(f.when),
                        f.message,
                        f.kind.code()
                    );
                }
            }
            Ok(json_text(&match args.format {
                SbomFormat::Cyclonedx => sel::sbom::cyclonedx::document(&sbom, &options),
                SbomFormat::Spdx => sel::sbom::spdx::document(&sbom, &options),
            }))
        }
        Command::Export(ExportCommand::Requirements(args)) => {
            let session = open()?;
            let request = request(&session.workspace, &args.config)?;
            let requirements = if args.all_configs {
                sel::python::export::requirements_all(session, &args.expr, &request)?
            } else {
                sel::python::export::requirements(session, &args.expr, &request)?
            };
            Ok(sel::python::export::render(&requirements, &command_line()))
        }
        Command::Completions(_)
        | Command::Man(_)
        | Command::Import(_)
        | Command::Query(_)
        | Command::Cquery(_) => {
            unreachable!("handled by run")
        }
    }
}

/// `SOURCE_DATE_EPOCH` (reproducible-builds.org): the time to write into documents.
fn source_date_epoch() -> Result<Option<i64>, Error> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Err(_) => Ok(None),
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
            Error::new(
                ErrorKind::Usage,
                format!("SOURCE_DATE_EPOCH=`{v}`: expected a number of seconds since 1970-01-01"),
            )
        }),
    }
}

fn json_text(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).expect("JSON values serialise") + "\n"
}

/// `sel cquery`, on a loaded workspace. `keep`: the answer will be kept
/// (see [`answered`]), with the configured graph it printed if it may be
/// recomputed from it ([`sel::incremental`]).
fn cquery(session: &'static Session, args: CqueryArgs, keep: bool) -> Result<Answer, Error> {
    let request = request(&session.workspace, &args.config)?;
    if args.all_configs {
        let result = session.cquery_all(&args.expr, &request)?;
        return all_configs_output(&result, args.output, &args.expr);
    }
    // Label-only outputs need no resolved attributes.
    let labels_only = matches!(
        args.output,
        sel::output::Format::Label | sel::output::Format::LabelKind | sel::output::Format::Package
    ) && args.order == sel::output::Order::Sorted;
    // An answer that prints each target of the closure as an item of its
    // own may be recomputed.
    let shape = sel::incremental::Shape::of(args.output, args.order);
    let keep = shape.filter(|_| keep);
    let (result, graph) = session.cquery_keeping(&args.expr, &request, !labels_only, keep)?;
    let options = Options {
        format: args.output,
        order: args.order,
        command: OutputCommand::Cquery,
        query: args.expr,
    };
    Ok(Answer {
        graph,
        ..Body::Rendered(session, result, options).into()
    })
}

/// For [`answered`]: a command whose answers are never recomputed.
fn no_recompute(_: &Workspace, _: sel::answers::Stale) -> Option<String> {
    None
}

/// The session, leaked rather than dropped: sel exits once the answer is
/// written, and freeing a large graph piece by piece (tens of milliseconds
/// for 100,000 targets) would only delay that.
fn leak(session: Session) -> &'static Session {
    Box::leak(Box::new(session))
}

/// The answer of this command, which loads the whole of `workspace` and
/// prints `compute`'s answer: the answer kept in the answer cache
/// (`sel::answers`) when the same command ran on the unchanged workspace;
/// else, when packages changed since, the kept answer as `recompute` makes
/// it anew, if it can; else `compute`'s, to be kept once written.
fn answered(
    workspace: Workspace,
    recompute: impl FnOnce(&Workspace, sel::answers::Stale) -> Option<String>,
    compute: impl FnOnce(&'static Session) -> Result<Answer, Error>,
) -> Result<Answer, Error> {
    use sel::answers::{Key, Lookup, Pending};
    let key = Key::of_this_process();
    let (dirs, known) = match sel::answers::lookup(&workspace, key)? {
        Lookup::Hit(kept) => return Ok(kept.into()),
        Lookup::Miss { dirs, known, stale } => {
            if let Some(text) = stale.and_then(|stale| recompute(&workspace, stale)) {
                return Ok(text.into());
            }
            (dirs, known)
        }
    };
    let (graph, inputs) = sel::build_file::load_packages(&workspace, &dirs, &known)?;
    let session = leak(Session { workspace, graph });
    let mut answer = compute(session)?;
    answer.keep = Some(Pending {
        root: session.workspace.root.clone(),
        key,
        inputs,
        closure: false,
        graph: answer.graph.take(),
    });
    Ok(answer)
}

/// What a command prints, and whether to keep it in the answer cache.
struct Answer {
    body: Body,
    /// Printed to stderr first (a successful command may warn).
    warnings: String,
    keep: Option<sel::answers::Pending>,
    /// The configured graph the answer printed, to keep with it.
    graph: Option<sel::incremental::KeptGraph>,
}

/// The text of an answer.
enum Body {
    /// Whole.
    Text(String),
    /// A query result, written as it is rendered: a large JSON document is
    /// never held whole in memory.
    Rendered(&'static Session, QueryResult, Options),
}

impl From<sel::answers::Kept> for Answer {
    /// A kept answer, printed again as it was (and not kept again).
    fn from(kept: sel::answers::Kept) -> Answer {
        Answer {
            warnings: kept.warnings,
            ..kept.text.into()
        }
    }
}

impl From<String> for Answer {
    fn from(text: String) -> Answer {
        Body::Text(text).into()
    }
}

impl From<Body> for Answer {
    fn from(body: Body) -> Answer {
        Answer {
            body,
            warnings: String::new(),
            keep: None,
            graph: None,
        }
    }
}

impl Answer {
    /// [`Answer::write`], then the end of the output phase.
    fn write_out(self) -> std::io::Result<()> {
        let written = self.write();
        sel::timing::phase("output");
        written
    }

    /// Writes the answer to stdout, then keeps it if it should be. A reader
    /// that stops early (`sel query ... | head`) is not an error: the write
    /// succeeds quietly, and nothing is kept.
    fn write(self) -> std::io::Result<()> {
        eprint!("{}", self.warnings);
        let stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let mut out = sel::answers::Recording::new(stdout, self.keep.is_some());
        let written = match &self.body {
            Body::Text(text) => out.write_all(text.as_bytes()),
            Body::Rendered(session, result, options) => {
                sel::output::write(&session.graph, result, options, &mut out)
            }
        }
        .and_then(|_| out.flush());
        match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(e),
            Ok(()) => {
                if let (Some(keep), Some(text)) = (self.keep, out.into_copy()) {
                    keep.keep(text, self.warnings);
                }
                Ok(())
            }
        }
    }
}

/// `sel matrix` as text, each class printed as soon as it is found (a partition
/// with many classes shows progress, and what was found before the bound stopped
/// it). A reader that goes away ends the search quietly.
fn matrix_streamed(result: &sel::AllConfigsResult, max_classes: usize) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    let mut first = true;
    let mut failed: Option<std::io::Error> = None;
    sel::matrix::each_class(result, max_classes, &mut |class| {
        let text = all_configs::matrix_class_text(result, &class, first);
        first = false;
        match stdout
            .write_all(text.as_bytes())
            .and_then(|_| stdout.flush())
        {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })?;
    match failed {
        Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("sel: cannot write output: {e}");
            std::process::exit(1)
        }
        _ => Ok(()),
    }
}

/// Renders `cquery --all-configs`; failures go to stderr in the text formats.
fn all_configs_output(
    result: &sel::AllConfigsResult,
    format: sel::output::Format,
    query: &str,
) -> Result<Answer, Error> {
    use sel::output::{all_configs, Format};
    match format {
        Format::Json => {
            let doc = all_configs::json(result, query);
            Ok(json_text(&doc).into())
        }
        Format::Label => Ok(Answer {
            warnings: all_configs::failures(result),
            ..all_configs::label(result).into()
        }),
        other => Err(Error::new(
            ErrorKind::Usage,
            format!("--all-configs supports --output=label and --output=json, not {other:?}"),
        )),
    }
}

/// `sel completions SHELL`: the script clap_complete generates from the CLI types.
fn completions(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sel", &mut out);
    String::from_utf8(out).expect("completion scripts are UTF-8")
}

/// `sel man [COMMAND]` prints one page; `sel man --dir DIR` writes them all.
fn man(args: &ManArgs) -> Result<String, Error> {
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

fn request(workspace: &Workspace, args: &ConfigArgs) -> Result<Request, Error> {
    let config = match &args.config {
        None => None,
        Some(name) => {
            let named = workspace
                .settings
                .config
                .get(name)
                .cloned()
                .ok_or_else(|| {
                    let names: Vec<&str> = workspace
                        .settings
                        .config
                        .keys()
                        .map(|s| s.as_str())
                        .collect();
                    Error::new(
                        ErrorKind::Usage,
                        format!("--config {name}: sel.toml has no [config.{name}]"),
                    )
                    .with_help_opt(
                        sel::error::did_you_mean(name, names.iter().copied()).or_else(|| {
                            (!names.is_empty())
                                .then(|| format!("named configurations: {}", names.join(", ")))
                        }),
                    )
                })?;
            Some((name.clone(), named))
        }
    };
    Ok(Request {
        selects: args.selects.clone(),
        platform: args.platform.clone(),
        config,
    })
}

/// `sel import LOCKFILE --out DIR`: paths are relative to `-C DIR` when given.
fn import(directory: Option<&std::path::Path>, args: &ImportArgs) -> Result<String, Error> {
    let (lockfile, out) = match directory {
        Some(base) => (base.join(&args.lockfile), base.join(&args.out)),
        None => (args.lockfile.clone(), args.out.clone()),
    };
    let written = sel::python::import(&lockfile, &out)?;
    let mut text = String::new();
    for path in written {
        text.push_str(&format!("{}\n", out.join(path).display()));
    }
    Ok(text)
}

/// The command line as typed, for headers of generated files.
fn command_line() -> String {
    let quote = |arg: String| {
        if !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_:.=-,@+%".contains(c))
        {
            arg
        } else {
            format!("'{}'", arg.replace('\'', "'\\''"))
        }
    };
    std::iter::once("sel".to_string())
        .chain(std::env::args().skip(1).map(quote))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A sel error as a miette report, with the source text and a caret where there is one.
fn to_report(e: Error) -> Report {
    let mut diag = MietteDiagnostic::new(e.message.clone()).with_code(e.kind.code());
    let mut help: Vec<String> = e.notes.clone();
    if let Some(h) = &e.help {
        help.push(h.clone());
    }
    if !help.is_empty() {
        diag = diag.with_help(help.join("\n"));
    }
    let source = e.location.as_ref().and_then(|loc| {
        let text = loc.text()?;
        let end = loc.span().end.min(text.len());
        let start = loc.span().start.min(end);
        diag.labels = Some(vec![LabeledSpan::new_with_span(
            e.label.clone(),
            start..end,
        )]);
        Some(NamedSource::new(loc.name(), text))
    });
    let report = Report::new(diag);
    match source {
        Some(s) => report.with_source_code(s),
        None => report,
    }
}
