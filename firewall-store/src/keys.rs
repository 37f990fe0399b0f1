//! Where each piece of state lives in Redis.
//!
//! Every key of one client starts with the hash tag `{PREFIX:CLIENT}`, so
//! that Redis Cluster puts them in one slot and each script touches one
//! slot; no command spans two clients.
//!
//! ```text
//! {shop:203.0.113.7}:limit:login    the limit's stored instant (GCRA TAT)
//! {shop:2001:db8::/64}:ban          an active ban (JSON), expiring with it
//! {shop:203.0.113.7}:strikes        recent strikes (sorted set)
//! {shop:203.0.113.7}:record         strike sequence, offences, last ban end
//! {shop:~user%3a42}:ban             a custom key, escaped
//! shop:bans                         the pub/sub channel of ban changes
//! ```

use std::fmt::Write;

use firewall_core::limit::ClientKey;

/// The key names of one prefix (one application).
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
}

impl Keys {
    /// `prefix` was checked by the configuration: letters, digits, `-`,
    /// `_`, `.`; nothing a hash tag or a SCAN pattern treats specially.
    pub(crate) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    fn client(&self, key: &ClientKey, what: &str) -> String {
        let mut out = String::with_capacity(self.prefix.len() + what.len() + 48);
        out.push('{');
        out.push_str(&self.prefix);
        out.push(':');
        match key {
            ClientKey::Net { .. } => out.push_str(&key.to_string()),
            ClientKey::Custom(custom) => {
                out.push('~');
                escape_into(custom, &mut out);
            }
        }
        out.push('}');
        out.push_str(what);
        out
    }

    /// The stored instant of `limit` for this client.
    pub(crate) fn limit(&self, key: &ClientKey, limit: &str) -> String {
        self.client(key, &format!(":limit:{limit}"))
    }

    /// The client's active ban.
    pub(crate) fn ban(&self, key: &ClientKey) -> String {
        self.client(key, ":ban")
    }

    /// The client's strikes in the window.
    pub(crate) fn strikes(&self, key: &ClientKey) -> String {
        self.client(key, ":strikes")
    }

    /// The client's strike record (sequence, offences, last ban end).
    pub(crate) fn record(&self, key: &ClientKey) -> String {
        self.client(key, ":record")
    }

    /// The pub/sub channel of ban changes.
    pub(crate) fn channel(&self) -> String {
        format!("{}:bans", self.prefix)
    }

    /// The SCAN pattern of every active ban of this prefix.
    pub(crate) fn ban_pattern(&self) -> String {
        format!("{{{}:*}}:ban", self.prefix)
    }
}

/// Percent-escapes what would end the hash tag early, act in a SCAN
/// pattern, or hide in a log line: `%`, `{`, `}`, `*`, `?`, `[`, `]`, `\`,
/// `:`, spaces and control characters.
fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        if c.is_control() || c.is_whitespace() || "%{}*?[]\\:".contains(c) {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02x}");
            }
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_clients_keys_share_a_hash_tag() {
        let keys = Keys::new("shop");
        let ip = ClientKey::from_ip(
            "2001:db8::7".parse().unwrap(),
            firewall_core::limit::KeyPrefixes::default(),
        );
        assert_eq!(keys.ban(&ip), "{shop:2001:db8::/64}:ban");
        assert_eq!(keys.limit(&ip, "login"), "{shop:2001:db8::/64}:limit:login");
        assert_eq!(keys.strikes(&ip), "{shop:2001:db8::/64}:strikes");
        assert_eq!(keys.record(&ip), "{shop:2001:db8::/64}:record");
    }

    #[test]
    fn a_custom_key_cannot_end_the_tag_or_pose_as_an_address() {
        let keys = Keys::new("shop");
        let tricky = ClientKey::custom("a}:ban {x*");
        assert_eq!(keys.ban(&tricky), "{shop:~a%7d%3aban%20%7bx%2a}:ban");
        let lookalike = ClientKey::custom("203.0.113.7");
        assert_eq!(keys.ban(&lookalike), "{shop:~203.0.113.7}:ban");
    }

    #[test]
    fn a_limit_named_ban_is_not_matched_by_the_ban_pattern() {
        let keys = Keys::new("shop");
        let k = keys.limit(&ClientKey::custom("c"), "ban");
        assert!(!k.ends_with("}:ban"));
        assert_eq!(keys.ban_pattern(), "{shop:*}:ban");
    }
}
