//! The JSON form of a log line: one object per line, with Elastic Common
//! Schema (ECS) field names written flat and dotted (`"source.ip"`), as the
//! ecs-logging libraries write them.
//!
//! Every value goes through `serde_json`'s string encoder, so quotes,
//! backslashes and control characters (CR, LF, ESC) from a client are
//! escaped and can never end the object or the line. The encoder here also
//! writes the Unicode bidi controls and line separators as `\uXXXX`, as the
//! text format escapes them, so a terminal showing the raw line is not
//! reordered either.

use std::io;
use std::net::SocketAddr;

use log::Level;
use serde::Serialize as _;

use super::clock;
use crate::packet::Packet;

/// The ECS version the field names follow (written as `ecs.version`).
pub(crate) const ECS_VERSION: &str = "8.11.0";

/// An object being written into a line: `{`, then `"key":value` pairs.
pub(crate) struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl JsonObject<'_> {
    /// Starts an object at the end of `out`.
    #[cfg(test)]
    pub(crate) fn begin(out: &mut Vec<u8>) -> JsonObject<'_> {
        out.push(b'{');
        JsonObject { out, empty: true }
    }

    /// Writes `"key":`; keys are this crate's own ASCII names.
    fn key(&mut self, key: &'static str) {
        debug_assert!(key
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\'));
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    /// A string field, escaped by the JSON encoder.
    pub(crate) fn str(&mut self, key: &'static str, value: &str) {
        self.key(key);
        push_string(self.out, value);
    }

    /// A number field.
    pub(crate) fn u64(&mut self, key: &'static str, value: u64) {
        self.key(key);
        super::addr::push_decimal(self.out, value);
    }

    /// An array of strings (ECS `event.category`, `event.type`).
    pub(crate) fn strs(&mut self, key: &'static str, values: &[&str]) {
        self.key(key);
        self.out.push(b'[');
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            push_string(self.out, value);
        }
        self.out.push(b']');
    }

    /// Ends the object.
    #[cfg(test)]
    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

/// Appends `value` as a JSON string.
fn push_string(out: &mut Vec<u8>, value: &str) {
    let mut serializer = serde_json::Serializer::with_formatter(out, SafeText);
    // Writing a `&str` into a `Vec` cannot fail.
    let _ = value.serialize(&mut serializer);
}

/// `serde_json`'s compact formatter that also escapes the characters a
/// terminal would reorder or break lines on (bidi controls, U+2028, U+2029).
struct SafeText;

impl serde_json::ser::Formatter for SafeText {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut plain = 0;
        for (at, c) in fragment.char_indices() {
            if super::escape::is_bidi_or_separator(c) {
                writer.write_all(&fragment.as_bytes()[plain..at])?;
                write!(writer, "\\u{:04x}", u32::from(c))?;
                plain = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[plain..])
    }
}

/// Starts a line's object with the fields every line has: `@timestamp`,
/// `log.level`, `log.logger` and `message`.
pub(crate) fn begin_line<'a>(
    out: &'a mut Vec<u8>,
    level: Level,
    target: &str,
    message: &str,
) -> JsonObject<'a> {
    out.extend_from_slice(b"{\"@timestamp\":\"");
    clock::push_now_rfc3339(out);
    out.push(b'"');
    let mut object = JsonObject { out, empty: false };
    object.str("log.level", super::level_name(level));
    object.str("log.logger", target);
    object.str("message", message);
    object
}

/// Ends a line's object with `ecs.version` and the newline.
pub(crate) fn end_line(mut object: JsonObject<'_>) {
    object.str("ecs.version", ECS_VERSION);
    object.out.extend_from_slice(b"}\n");
}

/// The fields any message gets from its text: `event.dataset` and
/// `event.action` read from a leading `KIND ACTION:` or `KIND:` in capitals
/// (`ACL DROP:` gives `firewall.acl` and `drop`; `BAN:` gives `firewall.ban`),
/// nothing for other text.
pub(crate) fn kind_and_action(out: &mut JsonObject<'_>, message: &str) {
    let Some((head, _)) = message.split_once(':') else {
        return;
    };
    let mut words = head.split(' ');
    let capitals = |word: &&str| !word.is_empty() && word.bytes().all(|b| b.is_ascii_uppercase());
    let (Some(kind), action, None) = (words.next().filter(capitals), words.next(), words.next())
    else {
        return;
    };
    if action.is_some_and(|action| !capitals(&action)) {
        return;
    }
    out.str("event.module", "firewall");
    out.str(
        "event.dataset",
        &format!("firewall.{}", kind.to_ascii_lowercase()),
    );
    if let Some(action) = action {
        out.str("event.action", &action.to_ascii_lowercase());
    }
}

/// `network.transport`, `source.ip`/`.port`, `destination.ip`/`.port`.
pub(crate) fn push_endpoints(out: &mut JsonObject<'_>, packet: &Packet) {
    out.str(
        "network.transport",
        &packet.proto.name().to_ascii_lowercase(),
    );
    let mut endpoint = |ip_key, port_key, addr: &SocketAddr| {
        out.str(ip_key, &addr.ip().to_string());
        out.u64(port_key, u64::from(addr.port()));
    };
    endpoint("source.ip", "source.port", &packet.src);
    endpoint("destination.ip", "destination.port", &packet.dst);
}

#[cfg(test)]
mod tests;
