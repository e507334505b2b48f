//! TLS settings and the client side of the TLS handshake, with rustls (no OpenSSL).
//!
//! The options keep what the `natsOptions_*` TLS setters loaded, already parsed and checked
//! (as nats.c reports certificate and key errors when they are set, not when connecting).
//! Each connection attempt builds a `rustls::ClientConfig` from them and runs the handshake on
//! the blocking socket within the connect deadline; the event loop then drives the session
//! through [`super::transport::Transport::Tls`].
#![forbid(unsafe_code)]

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme, SupportedCipherSuite};

use crate::status::{err, natsStatus, Error, Result};

/// TLS settings of a connection's options.
#[derive(Clone, Default)]
pub struct TlsOptions {
    /// `SetSecure`: the client wants TLS (a `tls://` URL asks for it too).
    pub secure: bool,
    /// Trusted CAs from `LoadCATrustedCertificates` / `SetCATrustedCertificates`; the system's
    /// roots when `None`.
    pub ca: Option<Arc<RootCertStore>>,
    /// Client certificate chain and key for mutual TLS.
    pub identity: Option<Arc<CertifiedKey>>,
    /// TLS 1.2 suites from `SetCiphers` (`None`: all that rustls offers).
    pub tls12_suites: Option<Vec<SupportedCipherSuite>>,
    /// TLS 1.3 suites from `SetCipherSuites` (`None`: all that rustls offers).
    pub tls13_suites: Option<Vec<SupportedCipherSuite>>,
    /// The name the server certificate must carry, instead of the URL's host.
    pub expected_hostname: Option<String>,
    /// `SkipServerVerification`: accept any server certificate.
    pub skip_verify: bool,
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("secure", &self.secure)
            .field("ca", &self.ca.as_ref().map(|c| c.len()))
            .field("identity", &self.identity.is_some())
            .field("tls12_suites", &self.tls12_suites.as_ref().map(|s| s.len()))
            .field("tls13_suites", &self.tls13_suites.as_ref().map(|s| s.len()))
            .field("expected_hostname", &self.expected_hostname)
            .field("skip_verify", &self.skip_verify)
            .finish()
    }
}

fn ssl_error(text: impl Into<String>) -> Error {
    Error::new(natsStatus::NATS_SSL_ERROR, text)
}

/// Reads a whole file for a TLS setter; a missing file is an SSL error as in nats.c.
fn read_file(path: &str, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| ssl_error(format!("Error loading {what} '{path}': {e}")))
}

/// Every certificate of a PEM text (other PEM sections are skipped).
fn pem_certs(pem: &[u8], origin: &str) -> Result<Vec<CertificateDer<'static>>> {
    let mut out = Vec::new();
    for c in CertificateDer::pem_slice_iter(pem) {
        out.push(c.map_err(|e| ssl_error(format!("invalid PEM certificate in {origin}: {e}")))?);
    }
    if out.is_empty() {
        return err(natsStatus::NATS_SSL_ERROR, format!("no certificate found in {origin}"));
    }
    Ok(out)
}

/// The trusted CAs of a PEM text, each checked to be usable as a trust anchor.
pub fn parse_ca(pem: &[u8], origin: &str) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    for c in pem_certs(pem, origin)? {
        store
            .add(c)
            .map_err(|e| ssl_error(format!("invalid CA certificate in {origin}: {e}")))?;
    }
    Ok(store)
}

/// `LoadCATrustedCertificates`.
pub fn load_ca_file(path: &str) -> Result<RootCertStore> {
    let pem = read_file(path, "trusted certificates")?;
    parse_ca(&pem, &format!("'{path}'"))
}

/// A client certificate chain with its private key; the key must match the first certificate.
pub fn parse_identity(cert_pem: &[u8], key_pem: &[u8], cert_origin: &str, key_origin: &str) -> Result<CertifiedKey> {
    let chain = pem_certs(cert_pem, cert_origin)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| ssl_error(format!("Error loading private key {key_origin}: {e}")))?;
    CertifiedKey::from_der(chain, key, &ring::default_provider())
        .map_err(|e| ssl_error(format!("Error loading private key {key_origin}: {e}")))
}

/// `LoadCertificatesChain`.
pub fn load_identity_files(cert_path: &str, key_path: &str) -> Result<CertifiedKey> {
    let cert = read_file(cert_path, "certificate chain")?;
    let key = zeroize::Zeroizing::new(read_file(key_path, "private key")?);
    parse_identity(&cert, &key, &format!("'{cert_path}'"), &format!("'{key_path}'"))
}

/// The TLS 1.2 suites rustls offers, with their OpenSSL and IANA names and the keywords
/// (OpenSSL cipher-string classes) that select them.
const TLS12_NAMES: &[(&str, &str, &[&str])] = &[
    ("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", &["ECDSA", "aECDSA", "AESGCM", "AES", "AES256", "SHA384"]),
    ("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", &["ECDSA", "aECDSA", "AESGCM", "AES", "AES128", "SHA256"]),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", &["ECDSA", "aECDSA", "CHACHA20", "SHA256"]),
    ("ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", &["RSA", "aRSA", "AESGCM", "AES", "AES256", "SHA384"]),
    ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", &["RSA", "aRSA", "AESGCM", "AES", "AES128", "SHA256"]),
    ("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", &["RSA", "aRSA", "CHACHA20", "SHA256"]),
];

/// Keywords that select every TLS 1.2 suite rustls has (all are ECDHE with AEAD ciphers).
const TLS12_ALL: &[&str] = &["ALL", "DEFAULT", "HIGH", "SECURE", "ECDHE", "EECDH", "kECDHE", "kEECDH", "AEAD", "TLSv1.2"];

/// The TLS 1.3 suites rustls offers, by their standard names.
const TLS13_NAMES: &[&str] = &["TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"];

fn suite_name(s: &SupportedCipherSuite) -> String {
    format!("{:?}", s.suite())
}

fn provider_suite(iana: &str) -> Option<SupportedCipherSuite> {
    // rustls names TLS 1.3 suites TLS13_*, TLS 1.2 ones by their IANA names.
    let wanted = iana.replacen("TLS_AES", "TLS13_AES", 1).replacen("TLS_CHACHA20", "TLS13_CHACHA20", 1);
    ring::default_provider()
        .cipher_suites
        .into_iter()
        .find(|s| suite_name(s) == wanted)
}

/// `SetCiphers`: an OpenSSL cipher string for TLS 1.2 (`:`, `,` or space separated; `!` or
/// `-` removes, `+` joins conditions as in "ECDHE+AESGCM"). Names rustls does not implement
/// (CBC, DHE, static RSA...) are ignored as OpenSSL ignores unknown ones; a list that selects
/// none of the suites rustls offers is an SSL error, as nats.c reports "no cipher match".
pub fn parse_ciphers(list: &str) -> Result<Vec<SupportedCipherSuite>> {
    let mut chosen: Vec<usize> = Vec::new();
    for token in list.split([':', ',', ' ']).map(str::trim).filter(|t| !t.is_empty()) {
        let (remove, body) = match token.as_bytes()[0] {
            b'!' | b'-' => (true, &token[1..]),
            b'+' => (false, &token[1..]),
            _ => (false, token),
        };
        let matches: Vec<usize> = (0..TLS12_NAMES.len())
            .filter(|&i| {
                let (openssl, iana, classes) = TLS12_NAMES[i];
                body.split('+').all(|cond| {
                    cond == openssl || cond == iana || TLS12_ALL.contains(&cond) || classes.contains(&cond)
                })
            })
            .collect();
        for i in matches {
            if remove {
                chosen.retain(|&c| c != i);
            } else if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
    }
    let suites: Vec<SupportedCipherSuite> = chosen.iter().filter_map(|&i| provider_suite(TLS12_NAMES[i].1)).collect();
    if suites.is_empty() {
        let known: Vec<&str> = TLS12_NAMES.iter().map(|n| n.0).collect();
        return err(
            natsStatus::NATS_SSL_ERROR,
            format!("Error setting ciphers '{list}': no cipher match (supported TLS 1.2 ciphers: {})", known.join(":")),
        );
    }
    Ok(suites)
}

/// `SetCipherSuites`: TLS 1.3 suite names separated by `:`. Unknown names are ignored as
/// OpenSSL does; none usable is an SSL error.
pub fn parse_cipher_suites(list: &str) -> Result<Vec<SupportedCipherSuite>> {
    let mut suites: Vec<SupportedCipherSuite> = Vec::new();
    for name in list.split([':', ',', ' ']).map(str::trim).filter(|t| !t.is_empty()) {
        if TLS13_NAMES.contains(&name) {
            if let Some(s) = provider_suite(name) {
                if !suites.iter().any(|x| x.suite() == s.suite()) {
                    suites.push(s);
                }
            }
        }
    }
    if suites.is_empty() {
        return err(
            natsStatus::NATS_SSL_ERROR,
            format!("Error setting ciphers '{list}': no cipher match (supported TLS 1.3 suites: {})", TLS13_NAMES.join(":")),
        );
    }
    Ok(suites)
}

/// The system's trusted roots, loaded once per process.
fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    Arc::clone(ROOTS.get_or_init(|| {
        let mut store = RootCertStore::empty();
        // Unreadable entries are skipped: verification then fails as it would with OpenSSL.
        let found = rustls_native_certs::load_native_certs();
        for c in found.certs {
            let _ = store.add(c);
        }
        Arc::new(store)
    }))
}

/// Accepts any server certificate (`SkipServerVerification`), but still checks that the
/// server holds the key of the certificate it presents.
#[derive(Debug)]
struct NoServerVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoServerVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

impl TlsOptions {
    /// The rustls configuration for one connection attempt.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>> {
        let mut provider = ring::default_provider();
        if self.tls12_suites.is_some() || self.tls13_suites.is_some() {
            let is13 = |s: &SupportedCipherSuite| matches!(s, SupportedCipherSuite::Tls13(_));
            let all = provider.cipher_suites.clone();
            let mut suites: Vec<SupportedCipherSuite> = match &self.tls13_suites {
                Some(v) => v.clone(),
                None => all.iter().filter(|s| is13(s)).copied().collect(),
            };
            match &self.tls12_suites {
                Some(v) => suites.extend(v.iter().copied()),
                None => suites.extend(all.iter().filter(|s| !is13(s)).copied()),
            }
            provider.cipher_suites = suites;
        }
        let provider = Arc::new(provider);
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| ssl_error(format!("cannot set up TLS: {e}")))?;
        let builder = if self.skip_verify {
            builder.dangerous().with_custom_certificate_verifier(Arc::new(NoServerVerification(Arc::clone(&provider))))
        } else {
            let roots = match &self.ca {
                Some(ca) => Arc::clone(ca),
                None => system_roots(),
            };
            let verifier = WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
                .build()
                .map_err(|e| ssl_error(format!("cannot set up server certificate verification: {e}")))?;
            builder.with_webpki_verifier(verifier)
        };
        let config = match &self.identity {
            Some(id) => builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(Arc::clone(id)))),
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }

    /// The name the server certificate is checked against (and sent as SNI).
    fn server_name(&self, host: &str) -> Result<ServerName<'static>> {
        let name = self.expected_hostname.as_deref().unwrap_or(host);
        ServerName::try_from(name.to_string())
            .map_err(|_| ssl_error(format!("'{name}' is not a valid host name for TLS")))
    }
}

/// The rustls error inside an I/O error, if any.
pub fn tls_error_of(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

/// Maps an I/O error of a TLS session: rustls errors become NATS_SSL_ERROR.
pub fn map_io_error(e: &io::Error, doing: &str) -> Error {
    match tls_error_of(e) {
        Some(t) => ssl_error(format!("SSL error {doing}: {t}")),
        None => match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                Error::new(natsStatus::NATS_TIMEOUT, format!("timed out {doing}"))
            }
            _ => Error::new(natsStatus::NATS_IO_ERROR, format!("I/O error {doing}: {e}")),
        },
    }
}

/// The socket as rustls writes to it, without its vectored write: a vectored write is a
/// `writev`, which raises SIGPIPE when the server has closed the connection (and a C program
/// does not ignore SIGPIPE: it dies), while a plain write is a `send` with MSG_NOSIGNAL that
/// reports EPIPE as an error. rustls then writes one record per call.
struct NoSigpipe<'a, S>(&'a mut S);

impl<S: Read> Read for NoSigpipe<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<S: Write> Write for NoSigpipe<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Runs the TLS handshake on the blocking socket, bounded by `deadline`.
pub fn handshake(stream: &mut TcpStream, host: &str, tls: &TlsOptions, deadline: Instant) -> Result<ClientConnection> {
    let config = tls.client_config()?;
    let name = tls.server_name(host)?;
    let mut conn = ClientConnection::new(config, name).map_err(|e| ssl_error(format!("cannot start TLS: {e}")))?;
    let timed_out = || Error::new(natsStatus::NATS_TIMEOUT, "timed out during the TLS handshake");
    while conn.is_handshaking() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out());
        }
        if conn.wants_write() {
            let _ = stream.set_write_timeout(Some(left));
            match conn.write_tls(&mut NoSigpipe(stream)) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(map_io_error(&e, "during the TLS handshake")),
            }
            continue;
        }
        let _ = stream.set_read_timeout(Some(left));
        match conn.read_tls(stream) {
            Ok(0) => {
                return err(natsStatus::NATS_SSL_ERROR, "SSL handshake error: the server closed the connection")
            }
            Ok(_) => {
                if let Err(e) = conn.process_new_packets() {
                    // Tell the server why (the alert is queued by rustls), then fail.
                    let _ = conn.write_tls(&mut NoSigpipe(stream));
                    return err(natsStatus::NATS_SSL_ERROR, format!("SSL handshake error: {e}"));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(map_io_error(&e, "during the TLS handshake")),
        }
    }
    // Finished-message and friends still queued.
    while conn.wants_write() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out());
        }
        let _ = stream.set_write_timeout(Some(left));
        if let Err(e) = conn.write_tls(&mut NoSigpipe(stream)) {
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(map_io_error(&e, "during the TLS handshake"));
            }
        }
    }
    Ok(conn)
}

/// Reads decrypted bytes: buffered plaintext first, then one socket read. `WouldBlock` when
/// the socket has nothing (non-blocking) or its read timeout expired (blocking).
pub fn read<S: Read + Write>(conn: &mut ClientConnection, sock: &mut S, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match conn.reader().read(buf) {
            // 0: the server sent close_notify.
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        match conn.read_tls(sock) {
            Ok(0) => return Ok(0),
            Ok(_) => {
                if let Err(e) = conn.process_new_packets() {
                    let _ = conn.write_tls(&mut NoSigpipe(sock));
                    return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Encrypts (part of) `data`. Records already queued are pushed first so the session's
/// buffer stays bounded; what the socket does not take now stays queued for [`flush`].
pub fn write<S: Read + Write>(conn: &mut ClientConnection, sock: &mut S, data: &[u8]) -> io::Result<usize> {
    if !flush(conn, sock)? {
        return Err(io::ErrorKind::WouldBlock.into());
    }
    let n = conn.writer().write(data)?;
    match flush(conn, sock) {
        Ok(_) => Ok(n),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(n),
        Err(e) => Err(e),
    }
}

/// Pushes queued records. `Ok(false)` when the socket would block with some left.
pub fn flush<S: Read + Write>(conn: &mut ClientConnection, sock: &mut S) -> io::Result<bool> {
    while conn.wants_write() {
        match conn.write_tls(&mut NoSigpipe(sock)) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ciphers_by_openssl_and_iana_names() {
        let s = parse_ciphers("ECDHE-RSA-AES128-GCM-SHA256").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(suite_name(&s[0]), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        let s = parse_ciphers("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256").unwrap();
        assert_eq!(suite_name(&s[0]), "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
        assert_eq!(parse_ciphers("-ALL:HIGH").unwrap().len(), 6);
        assert_eq!(parse_ciphers("HIGH:!aRSA").unwrap().len(), 3);
        assert_eq!(parse_ciphers("ECDHE+AESGCM").unwrap().len(), 4);
        // Unknown names are skipped when something else matches, as OpenSSL does.
        assert_eq!(parse_ciphers("DHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-GCM-SHA384").unwrap().len(), 1);
    }

    #[test]
    fn ciphers_without_a_match() {
        for bad in ["BOGUS", "DHE-RSA-AES256-SHA", "AES128-SHA", "ALL:!ALL"] {
            let e = parse_ciphers(bad).unwrap_err();
            assert_eq!(e.status, natsStatus::NATS_SSL_ERROR, "{bad}");
            assert!(e.text.contains("no cipher match"), "{}", e.text);
        }
    }

    #[test]
    fn tls13_suites() {
        let s = parse_cipher_suites("TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256").unwrap();
        assert_eq!(s.iter().map(suite_name).collect::<Vec<_>>(), ["TLS13_AES_256_GCM_SHA384", "TLS13_CHACHA20_POLY1305_SHA256"]);
        assert_eq!(parse_cipher_suites("TLS_AES_128_CCM_SHA256:TLS_AES_128_GCM_SHA256").unwrap().len(), 1);
        assert_eq!(parse_cipher_suites("BOGUS").unwrap_err().status, natsStatus::NATS_SSL_ERROR);
        // A TLS 1.2 name is no TLS 1.3 suite.
        assert!(parse_cipher_suites("ECDHE-RSA-AES128-GCM-SHA256").is_err());
    }

    #[test]
    fn restricted_config_builds() {
        let t = TlsOptions {
            tls13_suites: Some(parse_cipher_suites("TLS_AES_128_GCM_SHA256").unwrap()),
            tls12_suites: Some(parse_ciphers("ECDHE-RSA-AES128-GCM-SHA256").unwrap()),
            skip_verify: true,
            ..TlsOptions::default()
        };
        let c = t.client_config().unwrap();
        assert_eq!(c.crypto_provider().cipher_suites.len(), 2);
    }

    #[test]
    fn bad_pem() {
        assert_eq!(parse_ca(b"garbage", "memory").unwrap_err().status, natsStatus::NATS_SSL_ERROR);
        assert_eq!(load_ca_file("/nonexistent/ca.pem").unwrap_err().status, natsStatus::NATS_SSL_ERROR);
        let e = parse_identity(b"x", b"y", "c", "k").unwrap_err();
        assert_eq!(e.status, natsStatus::NATS_SSL_ERROR);
    }
}
