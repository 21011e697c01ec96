//! How to render a result: the `--output` format, the `--order`, and the
//! command that produced it.

/// The `--output` formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Canonical labels, one a line.
    Label,
    /// `KIND rule LABEL`, one a line.
    #[value(name = "label_kind")]
    LabelKind,
    /// The distinct packages (directories) of the results, `//pkg`, sorted.
    Package,
    /// Each target as BUILD text: selects kept in query, resolved in cquery.
    Build,
    /// Graphviz DOT of the dependency edges among the results.
    Graph,
    /// The documented JSON schema (docs/json.md, schema/query-v1.schema.json).
    Json,
}

/// The `--order` of targets in the output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Order {
    /// By label.
    #[default]
    Sorted,
    /// Dependencies before their dependents; ties (and cycles) broken by label.
    Deps,
}

/// Which command produced a result: how its edges and attributes read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `sel query`: unconfigured, selects kept.
    Query,
    /// `sel cquery`: one configuration, selects resolved.
    Cquery,
}

impl Command {
    /// The subcommand's name, as JSON's `"command"` writes it.
    pub fn name(self) -> &'static str {
        match self {
            Command::Query => "query",
            Command::Cquery => "cquery",
        }
    }
}

/// How to render a result.
#[derive(Clone, Debug)]
pub struct Options {
    /// The format.
    pub format: Format,
    /// The order of targets.
    pub order: Order,
    /// The command that produced the result.
    pub command: Command,
    /// The query expression, as given.
    pub query: String,
}
