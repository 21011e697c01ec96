//! `sel import LOCKFILE --out DIR`: a workspace from a lock file.

use sel::cli::ImportArgs;
use sel::error::Error;

/// `sel import LOCKFILE --out DIR`: paths are relative to `-C DIR` when given.
pub fn run(directory: Option<&std::path::Path>, args: &ImportArgs) -> Result<String, Error> {
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
