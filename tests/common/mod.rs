//! What the command-line tests share: scratch workspaces and running sel.

use std::path::Path;

use assert_cmd::Command;

/// A workspace in a temporary directory: an empty `sel.toml` and these files.
pub fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sel.toml"), "").unwrap();
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

/// Writes a file of a workspace, making its directory.
pub fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// (exit code, stdout, stderr) of sel run in `root`, without colour.
pub fn sel(root: &Path, args: &[&str]) -> (i32, String, String) {
    sel_with_env(root, args, &[])
}

/// [`sel`], with these environment variables set too.
pub fn sel_with_env(root: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::cargo_bin("sel")
        .unwrap()
        .arg("-C")
        .arg(root)
        .args(["--color", "never"])
        .args(args)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}
