//! The route table ([`ROUTES`]) and the hand router that matches a request
//! against it: `(method, path segments)` → [`Endpoint`] and its path
//! parameters, or a 404 / 405 [`ApiError`].
//!
//! Why by hand and not a framework's router: ten fixed routes, two with
//! parameters; a table is the whole router, and the same table is what the
//! test comparing `docs/openapi.yaml` with the server reads, so the
//! documentation cannot drift from the code.

use std::borrow::Cow;

use hyper::{Method, StatusCode};

use super::error::{ApiError, ERR_EMULATOR, echo};
use super::query::decode;

/// Every endpoint the emulator answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    JsCode2Session,
    Token,
    GetVoipSign,
    Join,
    Exit,
    Room,
    RoomEvents,
    Quota,
    Healthz,
    Metrics,
}

impl Endpoint {
    /// Every endpoint, in [`Self::index`] order.
    pub const ALL: [Endpoint; 10] = [
        Endpoint::JsCode2Session,
        Endpoint::Token,
        Endpoint::GetVoipSign,
        Endpoint::Join,
        Endpoint::Exit,
        Endpoint::Room,
        Endpoint::RoomEvents,
        Endpoint::Quota,
        Endpoint::Healthz,
        Endpoint::Metrics,
    ];

    /// Position in [`Self::ALL`], for per-endpoint metrics.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The label `/metrics` uses.
    pub fn label(self) -> &'static str {
        match self {
            Endpoint::JsCode2Session => "jscode2session",
            Endpoint::Token => "token",
            Endpoint::GetVoipSign => "getvoipsign",
            Endpoint::Join => "join",
            Endpoint::Exit => "exit",
            Endpoint::Room => "room",
            Endpoint::RoomEvents => "room_events",
            Endpoint::Quota => "quota",
            Endpoint::Healthz => "healthz",
            Endpoint::Metrics => "metrics",
        }
    }
}

/// One route: a method, a path pattern (`{name}` matches one segment) and
/// the endpoint answering it.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    pub pattern: &'static str,
    pub endpoint: Endpoint,
    /// The pattern has no `{name}`: a path matches it only by being equal.
    literal: bool,
}

/// The routes, as `docs/openapi.yaml` lists them.
pub const ROUTES: [Route; 10] = [
    route(Method::GET, "/sns/jscode2session", Endpoint::JsCode2Session),
    route(Method::GET, "/cgi-bin/token", Endpoint::Token),
    route(Method::POST, "/wxa/getvoipsign", Endpoint::GetVoipSign),
    route(Method::POST, "/voip/join", Endpoint::Join),
    route(Method::POST, "/voip/exit", Endpoint::Exit),
    route(
        Method::GET,
        "/voip/apps/{appId}/rooms/{groupId}",
        Endpoint::Room,
    ),
    route(
        Method::GET,
        "/voip/apps/{appId}/rooms/{groupId}/events",
        Endpoint::RoomEvents,
    ),
    route(Method::GET, "/voip/apps/{appId}/quota", Endpoint::Quota),
    route(Method::GET, "/healthz", Endpoint::Healthz),
    route(Method::GET, "/metrics", Endpoint::Metrics),
];

const fn route(method: Method, pattern: &'static str, endpoint: Endpoint) -> Route {
    let bytes = pattern.as_bytes();
    let mut literal = true;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' {
            literal = false;
        }
        i += 1;
    }
    Route {
        method,
        pattern,
        endpoint,
        literal,
    }
}

/// The most path parameters a route has.
const MAX_PARAMS: usize = 2;

/// A matched route: its endpoint and its decoded path parameters in
/// pattern order.
#[derive(Debug)]
pub struct Matched<'a> {
    pub endpoint: Endpoint,
    pub params: [Cow<'a, str>; MAX_PARAMS],
}

/// Finds the route for `method` and `path`: 404 when no pattern matches
/// the path, 405 (with the allowed method) when one does for another
/// method.
pub fn match_route<'a>(method: &Method, path: &'a str) -> Result<Matched<'a>, ApiError> {
    // The hot routes (join, exit) are literal: one string comparison each
    // (most fail on the length), before any path is split into segments.
    // Splitting every pattern and path cost 2% of serve's CPU under the
    // join-then-exit benchmark (`perf`).
    if let Some(r) = ROUTES
        .iter()
        .find(|r| r.literal && r.method == *method && r.pattern == path)
    {
        return Ok(Matched {
            endpoint: r.endpoint,
            params: [Cow::Borrowed(""), Cow::Borrowed("")],
        });
    }
    let mut allowed: Option<&'static str> = None;
    for r in &ROUTES {
        let Some(params) = match_pattern(r.pattern, path)? else {
            continue;
        };
        if r.method == *method {
            return Ok(Matched {
                endpoint: r.endpoint,
                params,
            });
        }
        // Every route is GET or POST, and no path takes both.
        allowed = Some(if r.method == Method::GET {
            "GET"
        } else {
            "POST"
        });
    }
    match allowed {
        Some(allow) => {
            let mut err = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ERR_EMULATOR,
                format!(
                    "method {method} is not allowed on {}: use {allow}",
                    echo(path)
                ),
            );
            err.allow = Some(allow);
            Err(err)
        }
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ERR_EMULATOR,
            format!(
                "no endpoint at {}: see docs/api.md for the routes (e.g. POST /voip/join, GET /healthz)",
                echo(path)
            ),
        )),
    }
}

/// The decoded parameters if `path` matches `pattern` (literal patterns
/// too: the slow path finds a literal route's 405).
fn match_pattern<'a>(
    pattern: &str,
    path: &'a str,
) -> Result<Option<[Cow<'a, str>; MAX_PARAMS]>, ApiError> {
    let mut params = [Cow::Borrowed(""), Cow::Borrowed("")];
    let mut found = 0;
    let mut pattern_parts = pattern.split('/');
    let mut path_parts = path.split('/');
    loop {
        match (pattern_parts.next(), path_parts.next()) {
            (None, None) => return Ok(Some(params)),
            (Some(p), Some(s)) if p.starts_with('{') => {
                if s.is_empty() {
                    return Ok(None);
                }
                let name = p.trim_start_matches('{').trim_end_matches('}');
                let Some(slot) = params.get_mut(found) else {
                    return Ok(None);
                };
                *slot = decode(s, false, &format!("path parameter {{{name}}}"))?;
                found += 1;
            }
            (Some(p), Some(s)) if p == s => {}
            _ => return Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/openapi.yaml` lists exactly the routes the server has: its
    /// paths (two-space indent under `paths:`) and their methods (four).
    #[test]
    fn openapi_lists_every_route() {
        let yaml = include_str!("../../docs/openapi.yaml");
        let mut documented = Vec::new();
        let mut path = None;
        let mut in_paths = false;
        for line in yaml.lines() {
            if !line.starts_with(' ') {
                in_paths = line == "paths:";
                continue;
            }
            if !in_paths {
                continue;
            }
            if let Some(p) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':'))
                && p.starts_with('/')
            {
                path = Some(p.to_string());
            } else if let Some(m) = line.strip_prefix("    ").and_then(|l| l.strip_suffix(':'))
                && ["get", "post", "put", "delete", "patch"].contains(&m)
                && let Some(p) = &path
            {
                documented.push((m.to_uppercase(), p.clone()));
            }
        }
        let mut served: Vec<(String, String)> = ROUTES
            .iter()
            .map(|r| (r.method.to_string(), r.pattern.to_string()))
            .collect();
        documented.sort();
        served.sort();
        assert_eq!(documented, served, "docs/openapi.yaml and ROUTES differ");
    }

    #[test]
    fn literal_routes_are_those_without_parameters() {
        for r in &ROUTES {
            assert_eq!(r.literal, !r.pattern.contains('{'), "{}", r.pattern);
        }
    }

    #[test]
    fn every_endpoint_has_one_route_in_order() {
        for (i, e) in Endpoint::ALL.iter().enumerate() {
            assert_eq!(e.index(), i);
            assert_eq!(ROUTES.iter().filter(|r| r.endpoint == *e).count(), 1);
        }
    }

    #[test]
    fn routes_match_with_decoded_parameters() {
        let m = match_route(&Method::GET, "/voip/apps/wx1/rooms/%E6%88%BF%201").unwrap();
        assert_eq!(m.endpoint, Endpoint::Room);
        assert_eq!(
            (m.params[0].as_ref(), m.params[1].as_ref()),
            ("wx1", "房 1")
        );
        let m = match_route(&Method::GET, "/voip/apps/wx1/rooms/g/events").unwrap();
        assert_eq!(m.endpoint, Endpoint::RoomEvents);
        assert_eq!(
            match_route(&Method::POST, "/voip/join").unwrap().endpoint,
            Endpoint::Join
        );
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405() {
        for path in [
            "/",
            "/voip",
            "/voip/join/x",
            "/voip/apps//quota",
            "/voip/apps/wx1/rooms/",
        ] {
            let err = match_route(&Method::GET, path).unwrap_err();
            assert_eq!(err.status, StatusCode::NOT_FOUND, "{path}");
            assert!(err.errmsg.contains("docs/api.md"), "{}", err.errmsg);
        }
        let err = match_route(&Method::GET, "/voip/join").unwrap_err();
        assert_eq!(
            (err.status, err.allow),
            (StatusCode::METHOD_NOT_ALLOWED, Some("POST"))
        );
        let err = match_route(&Method::DELETE, "/healthz").unwrap_err();
        assert_eq!(err.allow, Some("GET"));
        // A parameterised pattern's own text is a path with a parameter
        // named "{appId}", not a literal match without parameters.
        let m = match_route(&Method::GET, "/voip/apps/{appId}/quota").unwrap();
        assert_eq!(
            (m.endpoint, m.params[0].as_ref()),
            (Endpoint::Quota, "{appId}")
        );
        let err = match_route(&Method::GET, "/voip/apps/wx1/rooms/%ff").unwrap_err();
        assert!(err.errmsg.contains("{groupId}"), "{}", err.errmsg);
    }
}
