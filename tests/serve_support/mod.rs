//! Shared by the `cli_serve*` and `cli_load*` tests: start the real
//! `voipsim serve` on an ephemeral loopback port (`--listen 127.0.0.1:0`,
//! the port read from the "listening on" line), configured with a
//! scenario or not, talk HTTP/1.1 to it over plain `TcpStream`s, sign
//! joins with the library's signer, run `voipsim load` against it, and
//! stop it by signal. Every read has a timeout and the child is killed
//! when dropped, so no test can hang or leave a process behind.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use voipsim::signature::{JoinFields, SessionKey, Signer};

/// The appId of the app served without `--config`.
pub const DEFAULT_APP: &str = "wxebada5168620c5fe";
/// Its secret in the tests.
pub const SECRET: &str = "test-app-secret-XYZ";
/// How long any single wait may take.
pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    stderr: PathBuf,
}

/// A response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A secrets file line for each appId, all with [`SECRET`].
pub fn secrets_for(app_ids: &[&str]) -> String {
    app_ids.iter().map(|a| format!("{a}={SECRET}\n")).collect()
}

impl Server {
    /// `voipsim serve --listen 127.0.0.1:0 --app-secrets-file … ARGS` in a
    /// fresh temporary directory (its working directory).
    pub fn start(args: &[&str]) -> Server {
        Self::start_with(
            args,
            &secrets_for(&[DEFAULT_APP]),
            tempfile::tempdir().unwrap(),
        )
    }

    /// As [`Self::start`], with these secrets, in `dir`.
    pub fn start_with(args: &[&str], secrets: &str, dir: tempfile::TempDir) -> Server {
        let secrets_path = dir.path().join("app-secrets.txt");
        std::fs::write(&secrets_path, secrets).unwrap();
        let stderr = dir.path().join(format!("stderr-{}.txt", unique()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_voipsim"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--app-secrets-file"])
            .arg(&secrets_path)
            .args(args)
            .current_dir(dir.path())
            .env_remove("VOIPSIM_APP_SECRETS")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(addr) = line
            .trim()
            .strip_prefix("voipsim serve: listening on http://")
        else {
            let _ = child.wait();
            panic!(
                "serve did not start: stdout {line:?}, stderr {}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        };
        Server {
            addr: addr.parse().unwrap(),
            child: Some(child),
            dir,
            stderr,
        }
    }

    /// `voipsim serve --config SCENARIO` knowing `app_id`'s secret, in a
    /// fresh temporary directory.
    pub fn for_scenario(scenario: &Path, app_id: &str) -> Server {
        Self::start_with(
            &["--config", scenario.to_str().unwrap()],
            &secrets_for(&[app_id]),
            tempfile::tempdir().unwrap(),
        )
    }

    /// `voipsim load SCENARIO --target <this server> ARGS --out OUT` with
    /// `app_id`'s secret in `VOIPSIM_APP_SECRETS`, for at most 60 s. It
    /// must exit 0 (its output shown when it does not) and print no
    /// secret; returns OUT's summary.json.
    pub fn load(&self, scenario: &Path, app_id: &str, args: &[&str], out: &Path) -> Value {
        let output = assert_cmd::Command::cargo_bin("voipsim")
            .unwrap()
            .env("VOIPSIM_APP_SECRETS", format!("{app_id}={SECRET}"))
            .timeout(Duration::from_secs(60))
            .arg("load")
            .arg(scenario)
            .args(["--target", &format!("http://{}", self.addr)])
            .args(args)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
        assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// What the server wrote on stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// A connection with read and write timeouts.
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(TIMEOUT)).unwrap();
        stream
    }

    /// Sends raw bytes on a new connection and reads the whole answer.
    pub fn raw(&self, request: &[u8]) -> Reply {
        let mut stream = self.connect();
        stream.write_all(request).unwrap();
        read_reply(&mut stream)
    }

    /// One request on a new connection (`Connection: close`).
    pub fn request(&self, method: &str, path: &str, body: Option<&[u8]>) -> Reply {
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
        if let Some(body) = body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        self.raw(&bytes)
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, None)
    }

    pub fn post(&self, path: &str, body: &Value) -> Reply {
        self.request("POST", path, Some(body.to_string().as_bytes()))
    }

    /// Logs user `code` into `app`: (openid, session key).
    pub fn login(&self, app: &str, code: &str) -> (String, String) {
        let reply = self.get(&format!(
            "/sns/jscode2session?appid={app}&secret={SECRET}&js_code={code}&grant_type=authorization_code"
        ));
        assert_eq!(reply.status, 200, "{}", reply.text());
        let v = reply.json();
        (
            v["openid"].as_str().unwrap().to_string(),
            v["session_key"].as_str().unwrap().to_string(),
        )
    }

    /// An access token for `app`.
    pub fn token(&self, app: &str) -> String {
        let reply = self.get(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid={app}&secret={SECRET}"
        ));
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()["access_token"].as_str().unwrap().to_string()
    }

    /// A signed join of `openid` (key `key`) into `group`: its answer.
    pub fn join(&self, app: &str, openid: &str, key: &str, group: &str, nonce: &str) -> Value {
        let reply = self.post(
            "/voip/join",
            &join_body(app, openid, key, group, nonce, now_s()),
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    }

    pub fn exit(&self, app: &str, openid: &str) -> Value {
        let reply = self.post("/voip/exit", &json!({"appId": app, "openid": openid}));
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    }

    /// Sends `signal` (e.g. "TERM", "INT", "KILL"), waits for the exit and
    /// hands back the directory (its state file).
    pub fn signal(mut self, signal: &str) -> (ExitStatus, tempfile::TempDir) {
        Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .unwrap();
        let mut child = self.child.take().unwrap();
        let status = wait_with_timeout(&mut child);
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        (status, dir)
    }

    /// Stops with SIGTERM, expecting exit 0; returns the directory.
    pub fn stop(self) -> tempfile::TempDir {
        let stderr = self.stderr.clone();
        let (status, dir) = self.signal("TERM");
        assert_eq!(
            status.code(),
            Some(0),
            "stderr: {}",
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
        dir
    }

    /// SIGKILL; returns the directory.
    pub fn kill(self) -> tempfile::TempDir {
        self.signal("KILL").1
    }
}

/// `voipsim load SCENARIO ARGS` with `app_id`'s secret in
/// `VOIPSIM_APP_SECRETS`, which must refuse the run before any request
/// (exit 2); returns its stderr.
pub fn load_refused(scenario: &Path, app_id: &str, args: &[&str]) -> String {
    let output = assert_cmd::Command::cargo_bin("voipsim")
        .unwrap()
        .env("VOIPSIM_APP_SECRETS", format!("{app_id}={SECRET}"))
        .arg("load")
        .arg(scenario)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    stderr
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_with_timeout(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve did not exit within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reads a whole HTTP/1.1 answer (the server closes after it, or it has a
/// Content-Length).
pub fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(reply) = parse_reply(&bytes) {
            return reply;
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "read failed: {e}; got {:?}",
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
    parse_reply(&bytes)
        .unwrap_or_else(|| panic!("no complete answer: {:?}", String::from_utf8_lossy(&bytes)))
}

/// A complete answer in `bytes`, if there is one.
fn parse_reply(bytes: &[u8]) -> Option<Reply> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let length: usize = head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    })?;
    let body = bytes.get(end + 4..end + 4 + length)?.to_vec();
    Some(Reply { status, head, body })
}

pub fn now_s() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32
}

/// The hex signature of a join.
pub fn sign(app: &str, key: &str, group: &str, nonce: &str, timestamp: u32) -> String {
    let signer = Signer::new(&SessionKey::new(key).unwrap());
    signer
        .sign(&JoinFields {
            app_id: app,
            group_id: group,
            nonce,
            timestamp,
        })
        .to_string()
}

/// A signed join's body.
pub fn join_body(
    app: &str,
    openid: &str,
    key: &str,
    group: &str,
    nonce: &str,
    timestamp: u32,
) -> Value {
    json!({
        "appId": app,
        "openid": openid,
        "groupId": group,
        "nonceStr": nonce,
        "timeStamp": timestamp,
        "signature": sign(app, key, group, nonce, timestamp),
    })
}

/// A scenario file with `[apps.NAME]` tables, written in `dir`.
pub fn scenario_file(dir: &Path, apps: &str) -> PathBuf {
    let path = dir.join("serve.toml");
    let text = format!(
        "name = \"serve-test\"\nduration = \"1h\"\n{apps}\n[[workloads]]\napp = \"{}\"\narrivals = {{ poisson = \"1/min\" }}\nstay = {{ exponential = \"1m\" }}\n",
        apps.lines()
            .find_map(|l| l.trim().strip_prefix("[apps.")?.strip_suffix(']'))
            .unwrap_or("default")
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
