//! The service under test, as `--target URL` names it: an `http://` base
//! URL (host, port, optional path prefix), checked and resolved once
//! before the run, so a typo is a usage error (exit 2) and not a run full
//! of connect errors.
//!
//! Only plain HTTP/1.1: a load generator that also measured TLS handshakes
//! would report the proxy, not the service; put a TLS terminator in front
//! of a service that only speaks https.

use std::net::SocketAddr;

use crate::cli::UsageError;

/// A checked, resolved target.
#[derive(Debug, Clone)]
pub struct Target {
    /// The address connections are made to (the first the name resolves to).
    pub addr: SocketAddr,
    /// `host[:port]` as written, for the `Host` header.
    pub authority: String,
    /// The URL's path without a trailing `/` (empty for the root): the
    /// prefix every API path is appended to.
    pub base_path: String,
    /// The URL's query, if any, without the `?` (kept for `--mode http`).
    pub query: Option<String>,
}

impl Target {
    /// Parses and resolves `url`. Errors say what is wrong and how to fix it.
    pub fn parse(url: &str) -> Result<Target, UsageError> {
        let bad = |why: &str| {
            UsageError::new(format!(
                "--target '{url}': {why}; write it as http://HOST:PORT[/PATH], e.g. http://127.0.0.1:8080"
            ))
        };
        let rest = if let Some(rest) = url.strip_prefix("http://") {
            rest
        } else if url.starts_with("https://") {
            return Err(bad(
                "https is not supported (voipsim load speaks plain HTTP/1.1); point it at the service's plain HTTP port or at a TLS-terminating proxy",
            ));
        } else {
            return Err(bad("the URL must start with http://"));
        };
        let (authority, path_and_query) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() {
            return Err(bad("the host is missing"));
        }
        if authority.contains('@') {
            return Err(bad(
                "credentials in the URL are not supported (they would be shown in reports)",
            ));
        }
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q.to_string())),
            None => (path_and_query, None),
        };
        if path
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(bad("the path has spaces or control characters"));
        }
        let with_port = if has_port(authority) {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        let addr = resolve(&with_port).map_err(|e| bad(&e))?;
        Ok(Target {
            addr,
            authority: authority.to_string(),
            base_path: path.trim_end_matches('/').to_string(),
            query,
        })
    }

    /// The request target (path and query) for API path `path` (which
    /// starts with `/`).
    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", self.base_path)
    }

    /// What `--mode http` requests: the URL's own path and query.
    pub fn own_path(&self) -> String {
        let path = if self.base_path.is_empty() {
            "/"
        } else {
            &self.base_path
        };
        match &self.query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        }
    }
}

/// Whether `authority` ends in `:PORT` (an IPv6 literal is bracketed).
fn has_port(authority: &str) -> bool {
    match authority.rfind(':') {
        Some(i) => !authority[i..].contains(']'),
        None => false,
    }
}

fn resolve(host_port: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let mut addrs = host_port
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host_port}: {e}"))?;
    addrs
        .next()
        .ok_or_else(|| format!("{host_port} resolves to no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_path_and_query() {
        let t = Target::parse("http://127.0.0.1:8080/api/?x=1").unwrap();
        assert_eq!(t.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(t.authority, "127.0.0.1:8080");
        assert_eq!(t.base_path, "/api");
        assert_eq!(t.path("/voip/join"), "/api/voip/join");
        assert_eq!(t.own_path(), "/api?x=1");
        let root = Target::parse("http://127.0.0.1:9").unwrap();
        assert_eq!(root.own_path(), "/");
        assert_eq!(root.path("/healthz"), "/healthz");
        let default_port = Target::parse("http://127.0.0.1/").unwrap();
        assert_eq!(default_port.addr.port(), 80);
        let v6 = Target::parse("http://[::1]:81").unwrap();
        assert_eq!(v6.addr.port(), 81);
    }

    #[test]
    fn refuses_what_it_cannot_test_with_the_fix() {
        for (url, says) in [
            ("https://127.0.0.1:1", "https is not supported"),
            ("127.0.0.1:8080", "must start with http://"),
            ("http://", "host is missing"),
            ("http://u:p@127.0.0.1:1", "credentials"),
            ("http://127.0.0.1:notaport", "cannot resolve"),
        ] {
            let err = Target::parse(url).unwrap_err().to_string();
            assert!(err.contains(says), "{url}: {err}");
            assert!(err.contains("http://HOST:PORT"), "{err}");
        }
    }
}
