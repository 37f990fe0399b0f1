//! Recording each connection's real local address.

use std::any::Any;
use std::net::SocketAddr;

use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;

/// The local address a connection was accepted on, stored per connection by
/// [`on_connect`] and read by the firewall as the packet's destination.
///
/// # Examples
///
/// ```
/// let local = firewall_actix::LocalAddr("127.0.0.1:5000".parse().unwrap());
/// assert_eq!(local.0.port(), 5000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalAddr(pub SocketAddr);

/// An `HttpServer::on_connect` hook that records each TCP connection's local
/// address, so the firewall sees the address the client connected to even
/// when the server listens on `0.0.0.0` or `::`.
///
/// Without it the firewall uses the address the server was bound to, which
/// is exact for a server bound to one address (`127.0.0.1:5000`, `[::1]:0`).
/// Only plain TCP connections are recognised: behind TLS (`bind_rustls`...)
/// the hook records nothing and the bound address is used.
///
/// # Examples
///
/// ```no_run
/// use actix_web::{App, HttpServer};
/// # async fn run() -> std::io::Result<()> {
/// HttpServer::new(|| App::new())
///     .on_connect(firewall_actix::on_connect)
///     .bind(("0.0.0.0", 5000))?
///     .run()
///     .await
/// # }
/// ```
pub fn on_connect(connection: &dyn Any, data: &mut Extensions) {
    let local = connection
        .downcast_ref::<TcpStream>()
        .and_then(|stream| stream.local_addr().ok());
    if let Some(addr) = local {
        data.insert(LocalAddr(addr));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn the_hook_records_the_accepted_sockets_local_address() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let expected = accepted.local_addr().unwrap();
        accepted.set_nonblocking(true).unwrap();
        let stream = TcpStream::from_std(accepted).unwrap();
        let mut data = Extensions::new();
        on_connect(&stream, &mut data);
        assert_eq!(data.get::<LocalAddr>(), Some(&LocalAddr(expected)));
        // Anything that is not a TCP stream records nothing.
        let mut data = Extensions::new();
        on_connect(&"not a socket", &mut data);
        assert_eq!(data.get::<LocalAddr>(), None);
    }
}
