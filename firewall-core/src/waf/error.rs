//! Errors building a WAF: a bad signature, configuration or pattern, always
//! naming the file and line (or `WafConfig`, for settings made in code).

/// Why a [`crate::waf::Waf`], its signatures or its configuration were refused.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::{Waf, WafConfig};
/// use firewall_core::waf::WafError;
/// let err = Waf::new(WafConfig::default().paranoia(0)).unwrap_err();
/// assert_eq!(err.to_string(), "WafConfig: [waf] paranoia: 0 is not between 1 and 4");
/// assert!(matches!(err, WafError::Setting { field: "paranoia", .. })); // made in code, no file
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
    /// A bad `[waf]` setting in a rules file.
    #[error("{}[waf] {field}: {reason}", location(source_name, *line))]
    Config {
        /// The file.
        source_name: String,
        /// 1-based line (0 when the parser gave no position).
        line: usize,
        /// The bad field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A bad setting made in code, on a [`crate::waf::WafConfig`].
    #[error("WafConfig: [waf] {field}: {reason}")]
    Setting {
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

/// A name that is none of the values a WAF setting accepts: an attack
/// family, a decoded form or a mode.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::Mode;
/// let err = "block".parse::<Mode>().unwrap_err();
/// assert_eq!(err.to_string(), "unknown mode `block`: expected on, detection-only or off");
/// assert_eq!((err.kind(), err.value()), ("mode", "block"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`: expected {expected}")]
pub struct UnknownName {
    kind: &'static str,
    value: String,
    expected: String,
}

impl UnknownName {
    /// `value` is not a `kind`; `expected` lists what is.
    pub(crate) fn new(kind: &'static str, value: &str, expected: impl Into<String>) -> Self {
        Self {
            kind,
            value: value.to_owned(),
            expected: expected.into(),
        }
    }

    /// What the name should have named: `family`, `view` or `mode`.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = "x".parse::<firewall_core::waf::AttackFamily>().unwrap_err();
    /// assert_eq!(err.kind(), "family");
    /// ```
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The name as written.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = "Sqli ".parse::<firewall_core::waf::AttackFamily>().unwrap_err();
    /// assert_eq!(err.value(), "Sqli ");
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }
}
