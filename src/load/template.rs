//! `--mode sign`: the request template that tells voipsim how to ask a
//! team's own signing backend for a join signature, and where the
//! signature is in its answer.
//!
//! ```toml
//! method = "POST"                       # GET or POST (default POST)
//! path = "/api/voip/sign?app={appId}"   # appended to --target's path
//! signature = "/data/signature"         # JSON pointer into the answer
//! body = '''
//! {"appId": "{appId}", "groupId": "{groupId}", "nonceStr": "{nonce}",
//!  "timeStamp": {timestamp}, "openid": "{openid}"}
//! '''
//! [headers]
//! Authorization = "Bearer test-token"
//! ```
//!
//! Placeholders `{appId} {groupId} {nonce} {timestamp} {openid}` may appear
//! in the path, header values and body. In the body their values are
//! JSON-escaped (they sit inside JSON strings, or bare for `{timestamp}`);
//! in the path they are percent-encoded. The template is checked when
//! loaded (exit 2 with the file, the key and the fix): unknown
//! placeholders, a body that is not JSON once filled in, a pointer that is
//! not a JSON pointer. A placeholder is a name of letters in braces;
//! every other brace (the JSON body's own) is left as it is.

use std::path::Path;

use bytes::Bytes;
use hyper::Method;

use super::connection::Call;
use crate::cli::UsageError;

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 5] = ["appId", "groupId", "nonce", "timestamp", "openid"];

/// The values of one request's placeholders.
#[derive(Debug, Clone, Copy)]
pub struct SignVars<'a> {
    pub app_id: &'a str,
    pub group_id: &'a str,
    pub nonce: &'a str,
    pub timestamp: u32,
    pub openid: &'a str,
}

impl SignVars<'_> {
    fn get(&self, name: &str) -> String {
        match name {
            "appId" => self.app_id.to_string(),
            "groupId" => self.group_id.to_string(),
            "nonce" => self.nonce.to_string(),
            "timestamp" => self.timestamp.to_string(),
            _ => self.openid.to_string(),
        }
    }
}

/// A piece of text with placeholders, split once when loaded.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Var(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
struct Pattern(Vec<Piece>);

#[derive(Debug, Clone, Copy)]
enum Escape {
    Json,
    Url,
    None,
}

impl Pattern {
    /// Splits `text`; `where_` names it in errors. A placeholder is a
    /// name of letters in braces; any other brace (JSON's own) is text.
    fn parse(text: &str, where_: &str) -> Result<Pattern, String> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(i) = rest.find('{') {
            literal.push_str(&rest[..i]);
            let tail = &rest[i + 1..];
            let name_len = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            let name = &tail[..name_len];
            if name.is_empty() || !tail[name_len..].starts_with('}') {
                literal.push('{');
                rest = tail;
                continue;
            }
            let Some(&known) = PLACEHOLDERS.iter().find(|p| **p == name) else {
                let hint = PLACEHOLDERS
                    .iter()
                    .max_by(|a, b| {
                        strsim::jaro_winkler(a, name).total_cmp(&strsim::jaro_winkler(b, name))
                    })
                    .map(|p| format!(" (did you mean {{{p}}}?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "{where_}: unknown placeholder {{{name}}}{hint}; the placeholders are {}",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
                ));
            };
            if !literal.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
            }
            pieces.push(Piece::Var(known));
            rest = &tail[name_len + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Pattern(pieces))
    }

    fn fill(&self, vars: &SignVars, escape: Escape, out: &mut String) {
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(name) => {
                    let value = vars.get(name);
                    match escape {
                        Escape::None => out.push_str(&value),
                        Escape::Json => {
                            let quoted = serde_json::to_string(&value).unwrap_or_default();
                            out.push_str(&quoted[1..quoted.len().saturating_sub(1)]);
                        }
                        Escape::Url => percent_encode(&value, out),
                    }
                }
            }
        }
    }
}

fn percent_encode(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// A loaded, checked template.
#[derive(Debug, Clone)]
pub struct SignTemplate {
    method: Method,
    path: Pattern,
    headers: Vec<(String, Pattern)>,
    body: Option<Pattern>,
    /// JSON pointer to the signature in the answer.
    pub signature: String,
}

/// The file's shape.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    method: Option<String>,
    path: String,
    signature: String,
    body: Option<String>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
}

impl SignTemplate {
    /// Reads and checks the template at `path`.
    pub fn load(path: &Path) -> Result<SignTemplate, UsageError> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| {
            UsageError::new(format!(
                "--template {shown}: cannot read it: {e}; give the path of a TOML request template (see docs/load.md)"
            ))
        })?;
        SignTemplate::parse(&text).map_err(|e| UsageError::new(format!("--template {shown}: {e}")))
    }

    /// Parses and checks a template's text.
    pub fn parse(text: &str) -> Result<SignTemplate, String> {
        let raw: RawTemplate = toml::from_str(text).map_err(|e| {
            format!(
                "{}; the keys are method, path, signature, body and [headers] (see docs/load.md)",
                e.to_string().trim_end()
            )
        })?;
        let method = match raw.method.as_deref().unwrap_or("POST") {
            "POST" | "post" => Method::POST,
            "GET" | "get" => Method::GET,
            other => {
                return Err(format!(
                    "method = \"{other}\": a signing request is GET or POST"
                ));
            }
        };
        if !raw.path.starts_with('/') {
            return Err(format!(
                "path = \"{}\": it must start with '/' (it is appended to --target's path)",
                raw.path
            ));
        }
        let path = Pattern::parse(&raw.path, "path")?;
        if !raw.signature.is_empty() && !raw.signature.starts_with('/') {
            return Err(format!(
                "signature = \"{}\": a JSON pointer starts with '/', e.g. \"/signature\" or \"/data/signature\"",
                raw.signature
            ));
        }
        let mut headers = Vec::new();
        for (name, value) in &raw.headers {
            if hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(format!(
                    "[headers] \"{name}\": not a valid HTTP header name"
                ));
            }
            headers.push((
                name.clone(),
                Pattern::parse(value, &format!("[headers] {name}"))?,
            ));
        }
        let body = raw
            .body
            .as_deref()
            .map(|b| Pattern::parse(b, "body"))
            .transpose()?;
        let template = SignTemplate {
            method,
            path,
            headers,
            body,
            signature: raw.signature,
        };
        // A body that is not JSON once filled in is caught now, not as a
        // run of 400s.
        if let Some(body) = &template.body {
            let mut filled = String::new();
            body.fill(&SAMPLE, Escape::Json, &mut filled);
            if let Err(e) = serde_json::from_str::<serde_json::Value>(&filled) {
                return Err(format!(
                    "body is not JSON once its placeholders are filled in ({e}); put string placeholders inside quotes: \"groupId\": \"{{groupId}}\""
                ));
            }
        }
        Ok(template)
    }

    /// The request for `vars`, its path under `base_path`.
    pub fn call(&self, base_path: &str, vars: &SignVars) -> Call {
        let mut path = String::from(base_path);
        self.path.fill(vars, Escape::Url, &mut path);
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let mut v = String::new();
                value.fill(vars, Escape::None, &mut v);
                (name.clone(), v)
            })
            .collect();
        let body = self.body.as_ref().map(|b| {
            let mut text = String::new();
            b.fill(vars, Escape::Json, &mut text);
            Bytes::from(text)
        });
        if body.is_some()
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("content-type".into(), "application/json".into()));
        }
        Call {
            method: self.method.clone(),
            path,
            headers,
            body,
        }
    }
}

/// Values used to check a template when it is loaded.
const SAMPLE: SignVars<'static> = SignVars {
    app_id: "wx0000000000000000",
    group_id: "group \"1\"",
    nonce: "abc",
    timestamp: 1_700_000_000,
    openid: "o1",
};

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
path = "/sign/{appId}?g={groupId}"
signature = "/data/signature"
body = '{"groupId": "{groupId}", "nonceStr": "{nonce}", "timeStamp": {timestamp}, "openid": "{openid}", "braces": {"x": "{ y }"}}'
[headers]
X-App = "{appId}"
"#;

    #[test]
    fn fills_every_placeholder_with_the_right_escaping() {
        let t = SignTemplate::parse(GOOD).unwrap();
        let vars = SignVars {
            app_id: "wx1",
            group_id: "a b\"c",
            nonce: "N",
            timestamp: 42,
            openid: "o9",
        };
        let call = t.call("/base", &vars);
        assert_eq!(call.method, Method::POST);
        assert_eq!(call.path, "/base/sign/wx1?g=a%20b%22c");
        assert!(call.headers.contains(&("X-App".into(), "wx1".into())));
        let body: serde_json::Value = serde_json::from_slice(call.body.as_ref().unwrap()).unwrap();
        assert_eq!(body["groupId"], "a b\"c");
        assert_eq!(body["timeStamp"], 42);
        assert_eq!(body["braces"]["x"], "{ y }");
        assert_eq!(t.signature, "/data/signature");
    }

    #[test]
    fn bad_templates_say_what_and_how_to_fix() {
        for (text, says) in [
            (
                "path = \"/s/{grupId}\"\nsignature = \"/s\"",
                "did you mean {groupId}",
            ),
            ("path = \"s\"\nsignature = \"/s\"", "must start with '/'"),
            (
                "path = \"/s\"\nsignature = \"s\"",
                "JSON pointer starts with '/'",
            ),
            (
                "path = \"/s\"\nsignature = \"/s\"\nmethod = \"PUT\"",
                "GET or POST",
            ),
            (
                "path = \"/s\"\nsignature = \"/s\"\nbody = '{\"g\": {groupId}}'",
                "not JSON",
            ),
            ("path = \"/s\"\nsignature = \"/s\"\nbody = '{'", "not JSON"),
            ("path = \"/s\"\nsignatur = \"/s\"", "signatur"),
        ] {
            let err = SignTemplate::parse(text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
    }
}
