//! Random text as an attacker would draw it: a xorshift64 stream over an
//! alphabet. Shared by the `waf_inputs` bench and the engine's unit tests
//! (included by path).

/// Letters, digits, spaces and the punctuation signatures react to: the
/// WAF automata's worst case.
pub const PUNCTUATION: &str =
    "abcdefghijklmnopqrstuvwxyz0123456789 '\"<>()[]{};:|&$`/\\=-_.,!?*#@^~";

/// Letters, digits and `/`: random base64.
pub const BASE64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/";

/// xorshift64: a fixed, fast stream.
pub struct Rng(u64);

impl Rng {
    /// The stream the bench and the tests start from.
    pub fn new() -> Self {
        Self(0x2545_F491_4F6C_DD1D)
    }

    /// `len` characters drawn from `alphabet`.
    pub fn text(&mut self, alphabet: &str, len: usize) -> String {
        let alphabet: Vec<char> = alphabet.chars().collect();
        (0..len)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                alphabet[usize::try_from(self.0 % alphabet.len() as u64).unwrap_or(0)]
            })
            .collect()
    }
}
