//! The examples' one helper: a port from the environment, so that each can
//! run beside whatever already holds its default port.

/// The port in the environment variable `name`, or `default`.
pub fn env_port(name: &str, default: u16) -> Result<u16, String> {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .map_err(|_| format!("{name}={text:?} is not a port number (0-65535)")),
        Err(_) => Ok(default),
    }
}
