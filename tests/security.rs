//! Authentication and TLS against real nats-server processes: NKEY and JWT signing of the
//! server nonce, user/password and token, TLS with server verification, mutual TLS, and
//! traffic and reconnection over TLS through the event loop.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::security::{Certs, JwtSetup, TempDir};
use common::Server;
use nats::conn::auth::{self, JwtHandler, SignatureHandler, TokenHandler};
use nats::conn::tls;
use nats::conn::Connection;
use nats::options::Options;
use nats::status::{natsConnStatus, natsStatus};
use zeroize::Zeroizing;

fn opts(url: &str) -> Options {
    let mut o = Options::default();
    o.set_url(Some(url)).unwrap();
    o.allow_reconnect = false;
    o.timeout_ms = 3000;
    o
}

fn connect(o: Options) -> nats::status::Result<Connection> {
    let c = Connection::new(o);
    match c.connect() {
        Ok(()) => Ok(c),
        Err(e) => {
            c.destroy();
            Err(e)
        }
    }
}

fn expect_ok(o: Options) {
    let c = connect(o).expect("connect");
    c.publish("sec.test", None, b"hello").unwrap();
    c.flush(3000).unwrap();
    c.destroy();
}

fn expect_err(o: Options, status: natsStatus) -> String {
    match connect(o) {
        Ok(c) => {
            c.destroy();
            panic!("connected, expected {status:?}");
        }
        Err(e) => {
            assert_eq!(e.status, status, "{}", e.text);
            e.text
        }
    }
}

fn signer_for(kp: Arc<nkeys::KeyPair>, calls: Arc<AtomicUsize>) -> SignatureHandler {
    Arc::new(move |nonce: &str| {
        calls.fetch_add(1, Ordering::SeqCst);
        assert!(!nonce.is_empty());
        Ok(Zeroizing::new(kp.sign(nonce.as_bytes()).unwrap()))
    })
}

#[test]
fn nkey_seed_file_and_callback() {
    let dir = TempDir::new("nkey");
    let user = Arc::new(nkeys::KeyPair::new_user());
    let conf = dir.write("nkey.conf", &format!("authorization {{ users = [ {{nkey: {}}} ] }}\n", user.public_key()));
    let srv = Server::start(&["-c", &conf]);

    let text = expect_err(opts(&srv.url()), natsStatus::NATS_CONNECTION_AUTH_FAILED);
    assert!(text.contains("Authorization Violation"), "{text}");

    let seed_file = dir.write("user.nk", &user.seed().unwrap());
    let mut o = opts(&srv.url());
    o.credentials.set_nkey_from_seed(Some(&user.public_key()), &seed_file).unwrap();
    let c = connect(o).unwrap();
    // natsConnection_Sign's core: the seed file signs anything.
    let sig = auth::connection_sign(&c, b"some message").unwrap();
    user.verify(b"some message", &sig).unwrap();
    c.destroy();

    let calls = Arc::new(AtomicUsize::new(0));
    let mut o = opts(&srv.url());
    o.credentials.set_nkey(Some(&user.public_key()), Some(signer_for(Arc::clone(&user), Arc::clone(&calls)))).unwrap();
    expect_ok(o);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Signed with another key.
    let other = Arc::new(nkeys::KeyPair::new_user());
    let mut o = opts(&srv.url());
    o.credentials.set_nkey(Some(&user.public_key()), Some(signer_for(other, Arc::new(AtomicUsize::new(0))))).unwrap();
    expect_err(o, natsStatus::NATS_CONNECTION_AUTH_FAILED);

    // A callback failure keeps its status and text.
    let mut o = opts(&srv.url());
    let refuse: SignatureHandler = Arc::new(|_| Err(nats::status::Error::new(natsStatus::NATS_NOT_PERMITTED, "no signing here")));
    o.credentials.set_nkey(Some(&user.public_key()), Some(refuse)).unwrap();
    assert_eq!(expect_err(o, natsStatus::NATS_NOT_PERMITTED), "no signing here");
}

#[test]
fn jwt_from_creds_file_and_callbacks() {
    let setup = JwtSetup::new();
    let srv = Server::start(&["-c", &setup.conf]);
    expect_err(opts(&srv.url()), natsStatus::NATS_CONNECTION_AUTH_FAILED);

    let creds = setup.creds("user.creds", &setup.user.seed().unwrap());
    let mut o = opts(&srv.url());
    o.credentials.set_user_credentials_files(Some(&creds), None);
    let c = connect(o).unwrap();
    let sub = c.subscribe_sync("jwt.>", None).unwrap();
    c.publish("jwt.a", None, b"over jwt").unwrap();
    assert_eq!(sub.next_msg(3000).unwrap().data(), b"over jwt");
    let sig = auth::connection_sign(&c, b"").unwrap();
    setup.user.verify(b"", &sig).unwrap();
    c.destroy();

    // Separate JWT and seed files.
    let jwt_file = setup.dir.write("user.jwt", &setup.user_jwt);
    let seed_file = setup.dir.write("user.seed", &setup.user.seed().unwrap());
    let mut o = opts(&srv.url());
    o.credentials.set_user_credentials_files(Some(&jwt_file), Some(&seed_file));
    expect_ok(o);

    // Wrong seed, missing seed, missing file.
    let other = nkeys::KeyPair::new_user();
    let wrong = setup.creds("wrong.creds", &other.seed().unwrap());
    let mut o = opts(&srv.url());
    o.credentials.set_user_credentials_files(Some(&wrong), None);
    expect_err(o, natsStatus::NATS_CONNECTION_AUTH_FAILED);
    let mut o = opts(&srv.url());
    o.credentials.set_user_credentials_files(Some(&jwt_file), None);
    let text = expect_err(o, natsStatus::NATS_ERR);
    assert!(text.contains("seed") && !text.contains(&other.seed().unwrap()), "{text}");
    let mut o = opts(&srv.url());
    o.credentials.set_user_credentials_files(Some("/nonexistent/user.creds"), None);
    expect_err(o, natsStatus::NATS_ERR);

    // Callbacks.
    let calls = Arc::new(AtomicUsize::new(0));
    let jwt = setup.user_jwt.clone();
    let jwt_cb: JwtHandler = Arc::new(move || Ok(jwt.clone()));
    let user = Arc::new(nkeys::KeyPair::from_seed(&setup.user.seed().unwrap()).unwrap());
    let mut o = opts(&srv.url());
    o.credentials.set_user_credentials_callbacks(Some(jwt_cb), Some(signer_for(user, Arc::clone(&calls)))).unwrap();
    expect_ok(o);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn user_password_and_token() {
    let dir = TempDir::new("users");
    let conf = dir.write("users.conf", "authorization { users = [ {user: \"u\", password: \"p\\\"q\\\\r\"} ] }\n");
    let srv = Server::start(&["-c", &conf]);
    let mut o = opts(&srv.url());
    // A quote and a backslash survive the CONNECT JSON.
    o.credentials.set_user_info(Some("u"), Some("p\"q\\r"));
    expect_ok(o);
    let mut o = opts(&format!("nats://u:bad@127.0.0.1:{}", srv.port));
    o.credentials.set_user_info(Some("u"), Some("p\"q\\r"));
    let text = expect_err(o, natsStatus::NATS_CONNECTION_AUTH_FAILED);
    assert!(text.contains("Authorization Violation"), "{text}");
    drop(srv);

    let conf = dir.write("token.conf", "authorization { token: \"tok\" }\n");
    let srv = Server::start(&["-c", &conf]);
    expect_ok(opts(&format!("nats://tok@127.0.0.1:{}", srv.port)));
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = Arc::clone(&calls);
    let h: TokenHandler = Arc::new(move || {
        c2.fetch_add(1, Ordering::SeqCst);
        Some(Zeroizing::new("tok".to_string()))
    });
    let mut o = opts(&srv.url());
    o.credentials.set_token_handler(Some(h)).unwrap();
    expect_ok(o);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let mut o = opts(&srv.url());
    o.credentials.set_token(Some("nope")).unwrap();
    expect_err(o, natsStatus::NATS_CONNECTION_AUTH_FAILED);
}

fn tls_opts(url: &str, certs: &Certs) -> Options {
    let mut o = opts(url);
    o.tls.secure = true;
    o.tls.ca = Some(Arc::new(tls::load_ca_file(&certs.ca.cert).unwrap()));
    o
}

#[test]
fn tls_verification() {
    let certs = Certs::new();
    let srv = Server::start(&["-c", &certs.server_conf(&certs.server, "")]);

    expect_ok(tls_opts(&srv.url(), &certs));
    // tls:// alone asks for TLS.
    let mut o = opts(&format!("tls://127.0.0.1:{}", srv.port));
    o.tls.ca = Some(Arc::new(tls::parse_ca(certs.ca.cert_pem.as_bytes(), "memory").unwrap()));
    expect_ok(o);
    // The server requires TLS: upgrade, and verify against the system's roots (fails).
    let text = expect_err(opts(&srv.url()), natsStatus::NATS_SSL_ERROR);
    assert!(text.contains("certificate"), "{text}");
    // Untrusted CA, wrong expected host name.
    let mut o = tls_opts(&srv.url(), &certs);
    o.tls.ca = Some(Arc::new(tls::load_ca_file(&certs.dir.path().join("rogue_ca.pem").to_string_lossy()).unwrap()));
    expect_err(o, natsStatus::NATS_SSL_ERROR);
    let mut o = tls_opts(&srv.url(), &certs);
    o.tls.expected_hostname = Some("wrong.example".into());
    expect_err(o, natsStatus::NATS_SSL_ERROR);
    let mut o = tls_opts(&srv.url(), &certs);
    o.tls.expected_hostname = Some("wrong.example".into());
    o.tls.skip_verify = true;
    expect_ok(o);
    // Restricted suites.
    let mut o = tls_opts(&format!("nats://localhost:{}", srv.port), &certs);
    o.tls.tls13_suites = Some(tls::parse_cipher_suites("TLS_CHACHA20_POLY1305_SHA256").unwrap());
    expect_ok(o);
    drop(srv);

    // A certificate for another name.
    let srv = Server::start(&["-c", &certs.server_conf(&certs.other, "")]);
    expect_err(tls_opts(&srv.url(), &certs), natsStatus::NATS_SSL_ERROR);
    let mut o = tls_opts(&srv.url(), &certs);
    o.tls.expected_hostname = Some("nats.example".into());
    expect_ok(o);
    drop(srv);

    // No TLS on the server.
    let srv = Server::start(&[]);
    expect_err(tls_opts(&srv.url(), &certs), natsStatus::NATS_SECURE_CONNECTION_WANTED);
    expect_err(opts(&format!("tls://127.0.0.1:{}", srv.port)), natsStatus::NATS_SECURE_CONNECTION_WANTED);
}

#[test]
fn mutual_tls() {
    let certs = Certs::new();
    let extra = format!("  ca_file: \"{}\"\n  verify: true\n", certs.ca.cert);
    let srv = Server::start(&["-c", &certs.server_conf(&certs.server, &extra)]);

    let mut o = tls_opts(&srv.url(), &certs);
    o.tls.identity = Some(Arc::new(tls::load_identity_files(&certs.client.cert, &certs.client.key).unwrap()));
    expect_ok(o);
    let mut o = tls_opts(&srv.url(), &certs);
    let id = tls::parse_identity(certs.client.cert_pem.as_bytes(), certs.client.key_pem.as_bytes(), "c", "k").unwrap();
    o.tls.identity = Some(Arc::new(id));
    expect_ok(o);

    let text = expect_err(tls_opts(&srv.url(), &certs), natsStatus::NATS_SSL_ERROR);
    assert!(text.contains("CertificateRequired"), "{text}");
    let mut o = tls_opts(&srv.url(), &certs);
    o.tls.identity = Some(Arc::new(tls::load_identity_files(&certs.rogue.cert, &certs.rogue.key).unwrap()));
    expect_err(o, natsStatus::NATS_SSL_ERROR);

    // A key that is not the certificate's is refused when loaded.
    let e = tls::load_identity_files(&certs.client.cert, &certs.server.key).unwrap_err();
    assert_eq!(e.status, natsStatus::NATS_SSL_ERROR);
}

#[test]
fn traffic_over_tls() {
    let certs = Certs::new();
    let srv = Server::start(&["-c", &certs.server_conf(&certs.server, "")]);
    let c = connect(tls_opts(&srv.url(), &certs)).unwrap();
    let sub = c.subscribe_sync("bulk", None).unwrap();
    let big_sub = c.subscribe_sync("big", None).unwrap();
    c.flush(3000).unwrap();

    const N: usize = 20_000;
    for i in 0..N {
        c.publish("bulk", None, format!("message {i:06}").as_bytes()).unwrap();
    }
    for i in 0..N {
        let m = sub.next_msg(5000).unwrap();
        assert_eq!(m.data(), format!("message {i:06}").as_bytes());
    }
    // Payloads spanning many TLS records.
    let big: Vec<u8> = (0..900 * 1024).map(|i| (i % 251) as u8).collect();
    for _ in 0..4 {
        c.publish("big", None, &big).unwrap();
    }
    for _ in 0..4 {
        assert_eq!(big_sub.next_msg(5000).unwrap().data(), &big[..]);
    }
    let start = Instant::now();
    for _ in 0..100 {
        c.flush(3000).unwrap();
    }
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(c.stats().in_msgs, (N + 4) as u64);
    c.destroy();
}

#[test]
fn reconnect_over_tls() {
    let certs = Certs::new();
    let conf = certs.server_conf(&certs.server, "");
    let srv = Server::start(&["-c", &conf]);
    let port = srv.port;
    let mut o = tls_opts(&srv.url(), &certs);
    o.allow_reconnect = true;
    o.max_reconnect = -1;
    o.reconnect_wait_ms = 50;
    o.reconnect_jitter_ms = 0;
    o.reconnect_jitter_tls_ms = 0;
    let c = connect(o).unwrap();
    let sub = c.subscribe_sync("after", None).unwrap();
    c.flush(3000).unwrap();

    srv.kill();
    let deadline = Instant::now() + Duration::from_secs(5);
    while c.status() == natsConnStatus::NATS_CONN_STATUS_CONNECTED && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _srv = Server::start_on(port, &["-c", &conf]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.status() != natsConnStatus::NATS_CONN_STATUS_CONNECTED && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(c.status(), natsConnStatus::NATS_CONN_STATUS_CONNECTED);
    c.publish("after", None, b"back over tls").unwrap();
    assert_eq!(sub.next_msg(5000).unwrap().data(), b"back over tls");
    c.destroy();
}

#[test]
fn token_handler_runs_off_the_loop_thread_when_reconnecting() {
    let dir = TempDir::new("token-reconnect");
    let conf = dir.write("token.conf", "authorization { token: \"tok\" }\n");
    let srv = Server::start(&["-c", &conf]);
    let port = srv.port;
    let threads = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let t2 = Arc::clone(&threads);
    let h: TokenHandler = Arc::new(move || {
        t2.lock().unwrap().push(std::thread::current().name().unwrap_or("").to_string());
        Some(Zeroizing::new("tok".to_string()))
    });
    let mut o = opts(&srv.url());
    o.allow_reconnect = true;
    o.max_reconnect = -1;
    o.reconnect_wait_ms = 50;
    o.credentials.set_token_handler(Some(h)).unwrap();
    let c = connect(o).expect("connect");
    srv.kill();
    let srv = Server::start_on(port, &["-c", &conf]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(c.status() == natsConnStatus::NATS_CONN_STATUS_CONNECTED && c.stats().reconnects >= 1) {
        assert!(Instant::now() < deadline, "no reconnect");
        std::thread::sleep(Duration::from_millis(20));
    }
    c.flush(2000).unwrap();
    let names = threads.lock().unwrap().clone();
    assert!(names.len() >= 2, "{names:?}");
    assert!(names.iter().all(|n| n != "nats-loop"), "a token handler ran on the loop thread: {names:?}");
    c.destroy();
    drop(srv);
}
