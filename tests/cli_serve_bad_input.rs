//! Bad input to `voipsim serve`, each kind in its own test: every one gets
//! a 4xx with `{errcode, errmsg}` saying what is wrong (or, for a client
//! that never finishes its request head, a closed connection), and the
//! server stays up and never panics.

mod serve_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;
use serve_support::{DEFAULT_APP, SECRET, Server, join_body, now_s};

/// The server still answers, and wrote no panic.
fn still_up(server: &Server) {
    assert_eq!(server.get("/healthz").status, 200);
    let stderr = server.stderr();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn assert_error(reply: &serve_support::Reply, status: u16, errcode: i64, needles: &[&str]) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/json")
    );
    let body = reply.json();
    assert_eq!(body["errcode"], errcode, "{body}");
    let msg = body["errmsg"].as_str().unwrap();
    for needle in needles {
        assert!(msg.contains(needle), "{needle:?} not in {msg:?}");
    }
}

#[test]
fn malformed_json_is_400_with_the_parsers_position() {
    let server = Server::start(&[]);
    for body in [&b"{\"appId\": "[..], b"not json", b"{\"appId\": \"wx\",}"] {
        let reply = server.request("POST", "/voip/join", Some(body));
        assert_error(&reply, 400, 47001, &["not valid JSON", "line 1"]);
    }
    let reply = server.request("POST", "/voip/exit", Some(b"[\"appId\"]"));
    assert_error(&reply, 400, 47001, &["must be a JSON object"]);
    let reply = server.request("POST", "/voip/exit", Some(b""));
    assert_error(&reply, 400, 44002, &["empty post data", "`appId`"]);
    still_up(&server);
}

#[test]
fn wrong_types_name_the_field() {
    let server = Server::start(&[]);
    let reply = server.post("/voip/join", &json!({"appId": DEFAULT_APP, "openid": 42}));
    assert_error(
        &reply,
        400,
        47001,
        &["field `openid` must be a string, not a number"],
    );
    let reply = server.post(
        "/voip/join",
        &json!({"appId": DEFAULT_APP, "openid": "o", "timeStamp": [1]}),
    );
    assert_error(
        &reply,
        400,
        47001,
        &["field `timeStamp` must be a whole number", "not an array"],
    );
    let reply = server.post("/voip/exit", &json!({"appId": true, "openid": "o"}));
    assert_error(
        &reply,
        400,
        47001,
        &["field `appId` must be a string, not a boolean"],
    );
    let (openid, key) = server.login(DEFAULT_APP, "u");
    let mut body = join_body(DEFAULT_APP, &openid, &key, "g", "n", now_s());
    body["roomType"] = json!("Voice");
    let reply = server.post("/voip/join", &body);
    assert_error(&reply, 400, 47001, &["roomType", "\"voice\""]);
    still_up(&server);
}

#[test]
fn missing_fields_are_named_with_an_example() {
    let server = Server::start(&[]);
    let full = join_body(DEFAULT_APP, "o", "k", "g", "n", now_s());
    for field in [
        "appId",
        "openid",
        "groupId",
        "nonceStr",
        "timeStamp",
        "signature",
    ] {
        let mut body = full.clone();
        body.as_object_mut().unwrap().remove(field);
        let reply = server.post("/voip/join", &body);
        assert_error(
            &reply,
            400,
            47001,
            &[&format!("field `{field}` is missing: add \"{field}\"")],
        );
    }
    let reply = server.post("/voip/exit", &json!({"appId": "", "openid": "o"}));
    assert_error(&reply, 400, 47001, &["field `appId` is empty"]);
    let reply = server.get(&format!(
        "/sns/jscode2session?appid={DEFAULT_APP}&secret={SECRET}&grant_type=authorization_code"
    ));
    assert_error(&reply, 400, 47001, &["`js_code` is missing", "js_code="]);
    let reply = server.get(&format!(
        "/sns/jscode2session?appid={DEFAULT_APP}&secret={SECRET}&js_code=c"
    ));
    assert_error(&reply, 400, 40002, &["grant_type=authorization_code"]);
    let reply = server.get(&format!("/sns/jscode2session?appid={DEFAULT_APP}&secret={SECRET}&js_code=a%20b&grant_type=authorization_code"));
    assert_error(&reply, 400, 40029, &["invalid js_code"]);
    still_up(&server);
}

#[test]
fn bodies_over_the_limit_are_413() {
    let server = Server::start(&["--max-body-bytes", "1024"]);
    let big = format!("{{\"appId\": \"{}\"}}", "x".repeat(5000));
    // Declared too large: refused before it is read.
    let reply = server.request("POST", "/voip/join", Some(big.as_bytes()));
    assert_error(&reply, 413, -1, &["larger than 1024 bytes"]);
    // Chunked, with no length given: refused once past the limit.
    let chunk = format!("{:x}\r\n{big}\r\n0\r\n\r\n", big.len());
    let request = format!(
        "POST /voip/join HTTP/1.1\r\nHost: t\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n{chunk}"
    );
    let reply = server.raw(request.as_bytes());
    assert_error(&reply, 413, -1, &["larger than 1024 bytes"]);
    still_up(&server);
}

#[test]
fn unknown_routes_are_404_and_wrong_methods_405() {
    let server = Server::start(&[]);
    assert_error(
        &server.get("/wxa/nothing"),
        404,
        -1,
        &["no endpoint", "docs/api.md"],
    );
    assert_error(&server.get("/"), 404, -1, &["no endpoint"]);
    let reply = server.get("/voip/join");
    assert_error(&reply, 405, -1, &["use POST"]);
    assert_eq!(reply.header("allow").as_deref(), Some("POST"));
    let reply = server.request("DELETE", "/healthz", None);
    assert_error(&reply, 405, -1, &["use GET"]);
    assert_error(
        &server.get("/voip/apps/wxnope/quota"),
        404,
        40013,
        &["invalid appid", "wxnope"],
    );
    still_up(&server);
}

#[test]
fn non_utf8_bodies_paths_and_queries_are_400() {
    let server = Server::start(&[]);
    let reply = server.request(
        "POST",
        "/voip/exit",
        Some(b"{\"appId\": \"\xff\xfe\", \"openid\": \"o\"}"),
    );
    assert_error(&reply, 400, 47001, &["not UTF-8", "offset 11"]);
    let reply = server.get(&format!("/sns/jscode2session?appid={DEFAULT_APP}&secret={SECRET}&js_code=%ff&grant_type=authorization_code"));
    assert_error(&reply, 400, 47001, &["js_code", "not UTF-8"]);
    let reply = server.get(&format!("/voip/apps/{DEFAULT_APP}/rooms/%C3%28"));
    assert_error(&reply, 400, 47001, &["{groupId}", "not UTF-8"]);
    let reply = server.get("/voip/apps/wx%zz/quota");
    assert_error(&reply, 400, 47001, &["percent escape"]);
    still_up(&server);
}

#[test]
fn bad_tokens_wrong_secrets_and_unknown_apps_are_refused_without_echoing_secrets() {
    let server = Server::start(&[]);
    let body = json!({"openid": "o", "group_id": "g", "timestamp": 1_559_129_714u32, "nonce": "n"});
    assert_error(
        &server.post("/wxa/getvoipsign?access_token=forged", &body),
        401,
        40001,
        &["invalid access_token"],
    );
    assert_error(
        &server.post("/wxa/getvoipsign", &body),
        400,
        47001,
        &["`access_token` is missing"],
    );
    let reply = server.get(&format!(
        "/cgi-bin/token?grant_type=client_credential&appid={DEFAULT_APP}&secret=WRONGSECRET"
    ));
    assert_error(&reply, 401, 40125, &["invalid appsecret"]);
    assert!(!reply.text().contains("WRONGSECRET") && !reply.text().contains(SECRET));
    let reply = server.get(&format!(
        "/cgi-bin/token?grant_type=client_credential&appid=wxnope&secret={SECRET}"
    ));
    assert_error(&reply, 404, 40013, &["wxnope"]);
    let reply = server.get(&format!(
        "/cgi-bin/token?grant_type=password&appid={DEFAULT_APP}&secret={SECRET}"
    ));
    assert_error(&reply, 400, 40002, &["client_credential"]);
    let token = server.token(DEFAULT_APP);
    let reply = server.post(&format!("/wxa/getvoipsign?access_token={token}"), &body);
    assert_error(&reply, 400, 40003, &["invalid openid", "jscode2session"]);
    let mut stale = body.clone();
    stale["timestamp"] = json!(1_559_129_714_000u64);
    let (openid, _) = server.login(DEFAULT_APP, "u");
    stale["openid"] = json!(openid);
    let reply = server.post(&format!("/wxa/getvoipsign?access_token={token}"), &stale);
    assert_error(&reply, 400, 47001, &["milliseconds"]);
    still_up(&server);
}

#[test]
fn a_client_that_never_finishes_its_head_is_cut_off() {
    let server = Server::start(&["--read-timeout", "1s"]);
    let mut slow = server.connect();
    slow.write_all(b"POST /voip/join HTTP/1.1\r\nHost: t\r\n")
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 256];
    // hyper cannot answer a request it could not parse: it closes.
    let n = slow.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "{:?}", String::from_utf8_lossy(&buf[..n]));
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(10), "closed after {waited:?}");
    still_up(&server);
}

#[test]
fn a_client_that_never_sends_its_body_gets_408() {
    let server = Server::start(&["--read-timeout", "1s"]);
    let reply = server
        .raw(b"POST /voip/join HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"appId\":");
    assert_error(&reply, 408, -1, &["did not arrive within 1 s"]);
    still_up(&server);
}

#[test]
fn thousands_of_idle_connections_are_capped_and_timed_out() {
    let server = Server::start(&["--max-connections", "64", "--read-timeout", "1s"]);
    let idle: Vec<TcpStream> = (0..600)
        .filter_map(|_| TcpStream::connect(server.addr).ok())
        .collect();
    assert!(idle.len() > 500, "the test could open only {}", idle.len());
    // The idle ones time out, and the server answers again.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let answered = TcpStream::connect(server.addr).ok().and_then(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                .ok()?;
            let mut text = String::new();
            s.read_to_string(&mut text).ok()?;
            text.contains("200 OK").then_some(())
        });
        if answered.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the server never answered again");
        std::thread::sleep(Duration::from_millis(200));
    }
    let metrics = server.get("/metrics").text();
    let refused: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("voipsim_connections_refused_total "))
        .unwrap()
        .parse()
        .unwrap();
    // At most 64 were served at once; slots freed by timeouts while the
    // test was still connecting let a few more in.
    assert!(refused >= 300, "{refused} refused\n{metrics}");
    drop(idle);
    still_up(&server);
}
