//! Errors building a WAF: a bad signature, configuration or pattern, always
//! naming the file (or `WafConfig`) and line.

/// Why a [`crate::waf::Waf`], its signatures or its configuration were refused.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::{Waf, WafConfig};
/// let err = Waf::new(WafConfig::default().paranoia(0)).unwrap_err();
/// assert_eq!(err.to_string(), "WafConfig: [waf] paranoia: 0 is not between 1 and 4");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WafError {
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML, or an unknown or duplicate key.
    #[error("{source_name}:{line}: {message}")]
    Syntax {
        /// The file.
        source_name: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// One signature has a bad field.
    #[error("{source_name}:{line}: signature {id}: {field}: {reason}")]
    Signature {
        /// The file.
        source_name: String,
        /// 1-based line.
        line: usize,
        /// The signature's id.
        id: u32,
        /// The bad field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A bad `[waf]` setting.
    #[error("{}[waf] {field}: {reason}", location(source_name, *line))]
    Config {
        /// The file, or `WafConfig` for settings made in code.
        source_name: String,
        /// 1-based line (0 for settings made in code).
        line: usize,
        /// The bad field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The automata for one view could not be built (too big for the size
    /// limit, most often).
    #[error("compiling the {view} signatures: {source}")]
    Compile {
        /// The view whose set failed.
        view: String,
        /// The automaton builder's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

fn location(source: &str, line: usize) -> String {
    if line == 0 {
        format!("{source}: ")
    } else {
        format!("{source}:{line}: ")
    }
}
