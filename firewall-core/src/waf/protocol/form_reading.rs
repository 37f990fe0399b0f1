//! What the engine's reading of a query or form body tells the protocol
//! checks: the body readers decode every name and value for the
//! signatures (`body::push_urlencoded`), and note on the way what the
//! checks would otherwise find by reading the text again (how many
//! arguments, how long, what the escapes were). [`values`](super::values)
//! uses it when it settles the checks as well as reading the text does.

use super::values::{NAME_MAX, VALUE_MAX};
use crate::waf::transform::EscapeTally;

/// What reading one urlencoded text (`a=1&b=2`) showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FormReading<'r> {
    /// Whether the whole text was read and decoded from the request's own
    /// bytes (a body cut at the limit, or read through a lossy copy, is
    /// not): only then does the reading stand for the text.
    pub(crate) whole: bool,
    /// What the escapes of its names and values were.
    pub(crate) tally: EscapeTally,
    /// How many arguments (non-empty pieces between `&`s).
    pub(crate) arguments: usize,
    /// The bytes of the decoded names and values together.
    pub(crate) total: usize,
    /// The raw name of the first argument whose decoded name is longer
    /// than [`NAME_MAX`].
    pub(crate) long_name: Option<&'r str>,
    /// The raw name of the first argument whose decoded value is longer
    /// than [`VALUE_MAX`].
    pub(crate) long_value: Option<&'r str>,
}

impl<'r> FormReading<'r> {
    /// Notes an argument named `raw_name` in the text, whose name and
    /// value decode to `name_len` and `value_len` bytes.
    #[inline]
    pub(crate) fn argument(&mut self, raw_name: &'r str, name_len: usize, value_len: usize) {
        self.arguments += 1;
        self.total += name_len + value_len;
        if name_len > NAME_MAX && self.long_name.is_none() {
            self.long_name = Some(raw_name);
        }
        if value_len > VALUE_MAX && self.long_value.is_none() {
            self.long_value = Some(raw_name);
        }
    }
}

/// The readings of a request's query and form body, as the engine's
/// collection of its values leaves them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Readings<'r> {
    /// The query string's.
    pub(crate) query: FormReading<'r>,
    /// The body's, when it is a form read whole.
    pub(crate) body: FormReading<'r>,
}
