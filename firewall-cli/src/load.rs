//! Reads a rules file the way [`Firewall::reload_file`] does: the rules
//! through the core's loader (fast reader, then the `toml` crate for
//! anything else and for every error message), then the `[waf]` table,
//! compiled. The same errors, word for word, with file and line.
//!
//! [`Firewall::reload_file`]: firewall_core::Firewall::reload_file

use std::path::Path;

use firewall_core::waf::{Waf, WafConfig, WafError};
use firewall_core::{ReloadError, RuleFileError, RuleSet};

/// A rules file that a reload would accept.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) set: RuleSet,
    /// The 1-based line of each rule's `[[rule]]` header.
    pub(crate) lines: Vec<usize>,
    /// The `[waf]` table, when the file has one (checked: it compiles).
    pub(crate) waf: Option<WafConfig>,
}

impl Loaded {
    /// The line of rule `index` (0-based), 0 when unknown.
    pub(crate) fn line(&self, index: usize) -> usize {
        self.lines.get(index).copied().unwrap_or(0)
    }
}

/// Reads and checks `path` as a reload would.
pub(crate) fn load(path: &Path) -> Result<Loaded, ReloadError> {
    let text = std::fs::read_to_string(path).map_err(|source| RuleFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let (set, lines) = RuleSet::from_toml_str_with_lines(&text, path)?;
    let waf = WafConfig::from_toml_str(&text, &path.display().to_string())?;
    if let Some(config) = &waf {
        Waf::new(config.clone())?;
    }
    Ok(Loaded { set, lines, waf })
}

/// The line a load error points at, when it names one.
pub(crate) fn error_line(err: &ReloadError) -> Option<usize> {
    let line = match err {
        ReloadError::Rules(
            RuleFileError::Syntax { line, .. } | RuleFileError::Rule { line, .. },
        )
        | ReloadError::Waf(
            WafError::Syntax { line, .. }
            | WafError::Config { line, .. }
            | WafError::Signature { line, .. },
        ) => *line,
        _ => 0,
    };
    (line > 0).then_some(line)
}
