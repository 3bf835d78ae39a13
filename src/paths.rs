//! A leaf: where postie's files live (XDG base directories, `~` in paths
//! the user typed). No I/O beyond reading the environment.

use std::path::{Path, PathBuf};

/// `$POSTIE_CONFIG`, else `$XDG_CONFIG_HOME/postie/config.toml`, else `~/.config/postie/config.toml`.
pub fn config_file() -> PathBuf {
    if let Some(p) = std::env::var_os("POSTIE_CONFIG").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    xdg_dir("XDG_CONFIG_HOME", ".config")
        .join("postie")
        .join("config.toml")
}

/// An XDG base directory: the variable if set and absolute, else `~/<fallback>`.
pub fn xdg_dir(var: &str, fallback: &str) -> PathBuf {
    match std::env::var_os(var).map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => home().join(fallback),
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

pub fn expand_tilde(p: &Path) -> PathBuf {
    match p.strip_prefix("~") {
        Ok(rest) => home().join(rest),
        Err(_) => p.to_path_buf(),
    }
}

/// `download_dir`, else `$XDG_DOWNLOAD_DIR`, else `~/Downloads`.
pub fn download_dir(configured: Option<&Path>) -> PathBuf {
    if let Some(p) = configured {
        return expand_tilde(p);
    }
    match std::env::var_os("XDG_DOWNLOAD_DIR").map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => home().join("Downloads"),
    }
}

/// Writes a small state file whole: its directory made private (0700) if
/// need be, the text written to a temporary file renamed over the old one.
/// Blocking: call it off the async threads.
pub fn write_state_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
