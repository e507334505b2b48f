//! Authentication and TLS options, `nats_Sign` and `natsConnection_Sign`.
//!
//! Credentials and TLS material are copied into the options when set: the caller's strings
//! and files may change or go away afterwards (files named for credentials are read again at
//! each connect, as nats.c does). Certificates, keys and cipher lists are checked when set,
//! so their errors are reported by the setter.

use std::ffi::{c_char, c_int, c_uchar, c_void, CStr};
use std::sync::Arc;

use zeroize::Zeroizing;

use super::boundary::{guard, invalid_arg, non_null_mut, opt_str, put};
use super::connection::{conn_of, natsConnection};
use super::options::natsOptions;
use crate::conn::auth::{self, JwtHandler, SignatureHandler, TokenHandler};
use crate::conn::tls;
use crate::options::Options;
use crate::status::{natsStatus, Error, Result};

/// Callback returning the user JWT at each connect and reconnect. The JWT string (and the
/// optional `customErrTxt` on failure) must be allocated with `malloc`: the library frees
/// them. Returning a status other than NATS_OK fails the connection attempt with that status
/// and the custom text. Runs on the thread that connects, or the connection's I/O thread
/// when it reconnects.
pub type natsUserJWTHandler =
    Option<unsafe extern "C" fn(userJWT: *mut *mut c_char, customErrTxt: *mut *mut c_char, closure: *mut c_void) -> natsStatus>;

/// Callback signing the server's `nonce` at each connect and reconnect: it returns the raw
/// signature in `signature` (allocated with `malloc`, freed and wiped by the library) and its
/// length in `signatureLength`. A status other than NATS_OK fails the connection attempt with
/// that status and `customErrTxt` (also `malloc`ed). Runs on the thread that connects, or the
/// connection's I/O thread when it reconnects.
pub type natsSignatureHandler = Option<
    unsafe extern "C" fn(
        customErrTxt: *mut *mut c_char,
        signature: *mut *mut c_uchar,
        signatureLength: *mut c_int,
        nonce: *const c_char,
        closure: *mut c_void,
    ) -> natsStatus,
>;

/// Callback returning the token to send at each connect and reconnect. The string stays
/// owned by the application (the library copies it); NULL sends no token. Runs on the
/// thread that connects, or the connection's I/O thread when it reconnects.
pub type natsTokenHandler = Option<unsafe extern "C" fn(closure: *mut c_void) -> *const c_char>;

fn with_opts(func: &'static str, opts: *mut natsOptions, f: impl FnOnce(&mut Options) -> Result<()>) -> natsStatus {
    guard(func, || f(&mut non_null_mut(opts, "options")?.opts))
}

/// A required, non-empty string argument.
fn non_empty<'a>(p: *const c_char, what: &str) -> Result<&'a str> {
    match opt_str(p, what, natsStatus::NATS_INVALID_ARG)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(invalid_arg(format!("{what} can't be NULL nor empty"))),
    }
}

/// Takes (and frees) a `malloc`ed C string returned by a callback.
///
/// SAFETY: `p` is NULL or a NUL-terminated string from `malloc` that nobody else frees.
unsafe fn take_c_string(p: *mut c_char) -> Option<Zeroizing<String>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: per the contract above.
    let s = unsafe { CStr::from_ptr(p) };
    let bytes = s.to_bytes();
    let out = Zeroizing::new(String::from_utf8_lossy(bytes).into_owned());
    // SAFETY: wipe then free the callback's buffer (it may hold a secret).
    unsafe {
        std::ptr::write_bytes(p, 0, bytes.len());
        libc::free(p as *mut c_void);
    }
    Some(out)
}

/// A status returned by a C callback, checked (C may return any integer).
fn callback_status(raw: c_int) -> natsStatus {
    natsStatus::ALL
        .iter()
        .copied()
        .find(|s| *s as c_int == raw)
        .unwrap_or(natsStatus::NATS_ERR)
}

/// The error of a failed credentials callback: its status and custom text.
fn callback_error(raw: c_int, custom: Option<Zeroizing<String>>, default: &str) -> Error {
    let status = match callback_status(raw) {
        natsStatus::NATS_OK => natsStatus::NATS_ERR,
        s => s,
    };
    let text = custom.map(|t| t.to_string()).filter(|t| !t.is_empty()).unwrap_or_else(|| default.to_string());
    Error::new(status, text)
}

type RawJwtFn = unsafe extern "C" fn(*mut *mut c_char, *mut *mut c_char, *mut c_void) -> c_int;
type RawSigFn = unsafe extern "C" fn(*mut *mut c_char, *mut *mut c_uchar, *mut c_int, *const c_char, *mut c_void) -> c_int;

fn jwt_handler(cb: unsafe extern "C" fn(*mut *mut c_char, *mut *mut c_char, *mut c_void) -> natsStatus, closure: *mut c_void) -> JwtHandler {
    // SAFETY: natsStatus is #[repr(C)] (an int), so the function returns a C int; reading it
    // as one lets a value outside the enum be checked instead of being undefined behaviour.
    let f: RawJwtFn = unsafe { std::mem::transmute(cb) };
    let c = closure as usize;
    Arc::new(move || {
        let mut jwt: *mut c_char = std::ptr::null_mut();
        let mut custom: *mut c_char = std::ptr::null_mut();
        // SAFETY: calling the application's callback with valid out-pointers.
        let raw = unsafe { f(&mut jwt, &mut custom, c as *mut c_void) };
        // SAFETY: both are NULL or malloc'ed strings handed over to us.
        let (jwt, custom) = unsafe { (take_c_string(jwt), take_c_string(custom)) };
        if raw != natsStatus::NATS_OK as c_int {
            return Err(callback_error(raw, custom, "error getting the user JWT"));
        }
        match jwt {
            Some(j) if !j.is_empty() => Ok(j.to_string()),
            _ => Err(Error::new(natsStatus::NATS_ERR, "the user JWT callback returned no JWT")),
        }
    })
}

fn signature_handler(
    cb: unsafe extern "C" fn(*mut *mut c_char, *mut *mut c_uchar, *mut c_int, *const c_char, *mut c_void) -> natsStatus,
    closure: *mut c_void,
) -> SignatureHandler {
    // SAFETY: as in `jwt_handler`.
    let f: RawSigFn = unsafe { std::mem::transmute(cb) };
    let c = closure as usize;
    Arc::new(move |nonce: &str| {
        let nonce_c = std::ffi::CString::new(nonce)
            .map_err(|_| Error::new(natsStatus::NATS_PROTOCOL_ERROR, "the server's nonce contains a NUL byte"))?;
        let mut custom: *mut c_char = std::ptr::null_mut();
        let mut sig: *mut c_uchar = std::ptr::null_mut();
        let mut len: c_int = 0;
        // SAFETY: calling the application's callback with valid out-pointers and a C string.
        let raw = unsafe { f(&mut custom, &mut sig, &mut len, nonce_c.as_ptr(), c as *mut c_void) };
        let signature = if sig.is_null() || len <= 0 {
            None
        } else {
            // SAFETY: the callback returned `len` bytes at `sig`, allocated with malloc.
            let bytes = unsafe { std::slice::from_raw_parts(sig, len as usize) };
            Some(Zeroizing::new(bytes.to_vec()))
        };
        if !sig.is_null() {
            // SAFETY: wipe then free the callback's buffer.
            unsafe {
                if len > 0 {
                    std::ptr::write_bytes(sig, 0, len as usize);
                }
                libc::free(sig as *mut c_void);
            }
        }
        // SAFETY: NULL or a malloc'ed string handed over to us.
        let custom = unsafe { take_c_string(custom) };
        if raw != natsStatus::NATS_OK as c_int {
            return Err(callback_error(raw, custom, "error signing the server's nonce"));
        }
        signature.ok_or_else(|| Error::new(natsStatus::NATS_ERR, "the signature callback returned no signature"))
    })
}

/// Sets the user name and password sent when the server URL carries no credentials of its
/// own (credentials in the URL win). NULL clears either.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetUserInfo(opts: *mut natsOptions, user: *const c_char, password: *const c_char) -> natsStatus {
    with_opts("natsOptions_SetUserInfo", opts, |o| {
        let user = opt_str(user, "user", natsStatus::NATS_INVALID_ARG)?;
        let password = opt_str(password, "password", natsStatus::NATS_INVALID_ARG)?;
        o.credentials.set_user_info(user, password);
        Ok(())
    })
}

/// Sets the token sent when the server URL carries no credentials of its own (NULL clears).
/// NATS_ILLEGAL_STATE when a token handler is set.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetToken(opts: *mut natsOptions, token: *const c_char) -> natsStatus {
    with_opts("natsOptions_SetToken", opts, |o| {
        let token = opt_str(token, "token", natsStatus::NATS_INVALID_ARG)?;
        o.credentials.set_token(token)
    })
}

/// Sets a callback that builds the token at each connect and reconnect (NULL removes it).
/// NATS_ILLEGAL_STATE when a token is set with `natsOptions_SetToken`.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetTokenHandler(opts: *mut natsOptions, tokenCb: natsTokenHandler, closure: *mut c_void) -> natsStatus {
    with_opts("natsOptions_SetTokenHandler", opts, |o| {
        let handler: Option<TokenHandler> = tokenCb.map(|cb| {
            let c = closure as usize;
            let h: TokenHandler = Arc::new(move || {
                // SAFETY: calling the application's callback with its closure.
                let p = unsafe { cb(c as *mut c_void) };
                if p.is_null() {
                    return None;
                }
                // SAFETY: a non-NULL result is a NUL-terminated string owned by the caller.
                let s = unsafe { CStr::from_ptr(p) };
                Some(Zeroizing::new(s.to_string_lossy().into_owned()))
            });
            h
        });
        o.credentials.set_token_handler(handler)
    })
}

/// Sets the NKEY public key and the callback signing the server's nonce with its seed.
/// Replaces user credentials set with `natsOptions_SetUserCredentials*`. A NULL `pubKey`
/// removes the NKEY; a NULL `sigCB` with a key gives NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetNKey(
    opts: *mut natsOptions,
    pubKey: *const c_char,
    sigCB: natsSignatureHandler,
    sigClosure: *mut c_void,
) -> natsStatus {
    with_opts("natsOptions_SetNKey", opts, |o| {
        let pk = opt_str(pubKey, "public key", natsStatus::NATS_INVALID_ARG)?;
        let signer = sigCB.map(|cb| signature_handler(cb, sigClosure));
        o.credentials.set_nkey(pk, signer)
    })
}

/// Sets the NKEY public key and the file holding its seed. The file is read at each connect
/// and the seed wiped from memory once the nonce is signed; a missing file fails the connect
/// with NATS_ERR. Replaces user credentials set with `natsOptions_SetUserCredentials*`.
/// `seedFile` NULL or empty gives NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetNKeyFromSeed(opts: *mut natsOptions, pubKey: *const c_char, seedFile: *const c_char) -> natsStatus {
    with_opts("natsOptions_SetNKeyFromSeed", opts, |o| {
        let seed_file = non_empty(seedFile, "seed file")?;
        let pk = opt_str(pubKey, "public key", natsStatus::NATS_INVALID_ARG)?;
        o.credentials.set_nkey_from_seed(pk, seed_file)
    })
}

/// Sets the callbacks returning the user JWT and signing the server's nonce. Replaces an
/// NKEY set with `natsOptions_SetNKey*`. A NULL `ujwtCB` removes the user credentials; a
/// NULL `sigCB` with a JWT callback gives NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetUserCredentialsCallbacks(
    opts: *mut natsOptions,
    ujwtCB: natsUserJWTHandler,
    ujwtClosure: *mut c_void,
    sigCB: natsSignatureHandler,
    sigClosure: *mut c_void,
) -> natsStatus {
    with_opts("natsOptions_SetUserCredentialsCallbacks", opts, |o| {
        let jwt = ujwtCB.map(|cb| jwt_handler(cb, ujwtClosure));
        let signer = sigCB.map(|cb| signature_handler(cb, sigClosure));
        o.credentials.set_user_credentials_callbacks(jwt, signer)
    })
}

/// Sets the file holding the user JWT (a `.creds` file, which may also hold the user seed)
/// and, when the seed is elsewhere, the seed file. Files are read at each connect; seeds are
/// wiped from memory once used. A missing file or one without JWT or seed fails the connect
/// with NATS_ERR. Replaces an NKEY set with `natsOptions_SetNKey*`. NULL removes the user
/// credentials.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetUserCredentialsFromFiles(
    opts: *mut natsOptions,
    userOrChainedFile: *const c_char,
    seedFile: *const c_char,
) -> natsStatus {
    with_opts("natsOptions_SetUserCredentialsFromFiles", opts, |o| {
        let user = opt_str(userOrChainedFile, "user file", natsStatus::NATS_INVALID_ARG)?.filter(|s| !s.is_empty());
        let seed = opt_str(seedFile, "seed file", natsStatus::NATS_INVALID_ARG)?.filter(|s| !s.is_empty());
        o.credentials.set_user_credentials_files(user, seed);
        Ok(())
    })
}

/// Asks for a TLS connection (a `tls://` URL asks for it too). Connecting to a server that
/// offers no TLS then fails with NATS_SECURE_CONNECTION_WANTED. A server that requires TLS
/// gets it even without this option. The server certificate is verified against the CAs of
/// `natsOptions_LoadCATrustedCertificates` (else the system's) unless
/// `natsOptions_SkipServerVerification` says otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetSecure(opts: *mut natsOptions, secure: bool) -> natsStatus {
    with_opts("natsOptions_SetSecure", opts, |o| {
        o.tls.secure = secure;
        Ok(())
    })
}

/// Loads the trusted CA certificates (PEM) from a file, replacing the system's roots for
/// server verification. Errors (missing file, no or invalid certificate) are reported now:
/// NATS_SSL_ERROR; NULL or empty file name: NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_LoadCATrustedCertificates(opts: *mut natsOptions, fileName: *const c_char) -> natsStatus {
    with_opts("natsOptions_LoadCATrustedCertificates", opts, |o| {
        let path = non_empty(fileName, "file name")?;
        o.tls.ca = Some(Arc::new(tls::load_ca_file(path)?));
        Ok(())
    })
}

/// Sets the trusted CA certificates from memory (concatenated PEM certificates). Invalid
/// content: NATS_SSL_ERROR; NULL or empty: NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetCATrustedCertificates(opts: *mut natsOptions, certificates: *const c_char) -> natsStatus {
    with_opts("natsOptions_SetCATrustedCertificates", opts, |o| {
        let pem = non_empty(certificates, "CA certificates")?;
        o.tls.ca = Some(Arc::new(tls::parse_ca(pem.as_bytes(), "the given CA certificates")?));
        Ok(())
    })
}

/// Loads the client certificate chain (PEM, the client's certificate first) and its private
/// key (PEM) for mutual TLS. Errors, including a key that does not match the certificate,
/// are reported now: NATS_SSL_ERROR; NULL or empty file names: NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_LoadCertificatesChain(
    opts: *mut natsOptions,
    certsFileName: *const c_char,
    keyFileName: *const c_char,
) -> natsStatus {
    with_opts("natsOptions_LoadCertificatesChain", opts, |o| {
        let (certs, key) = match (non_empty(certsFileName, "certificate file"), non_empty(keyFileName, "key file")) {
            (Ok(c), Ok(k)) => (c, k),
            _ => return Err(invalid_arg("certificate and key file names can't be NULL nor empty")),
        };
        o.tls.identity = Some(Arc::new(tls::load_identity_files(certs, key)?));
        Ok(())
    })
}

/// Sets the client certificate chain and private key from memory (PEM), as
/// `natsOptions_LoadCertificatesChain` does from files.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetCertificatesChain(opts: *mut natsOptions, cert: *const c_char, key: *const c_char) -> natsStatus {
    with_opts("natsOptions_SetCertificatesChain", opts, |o| {
        let (cert, key) = match (non_empty(cert, "certificate"), non_empty(key, "key")) {
            (Ok(c), Ok(k)) => (c, k),
            _ => return Err(invalid_arg("certificate and key can't be NULL nor empty")),
        };
        o.tls.identity = Some(Arc::new(tls::parse_identity(
            cert.as_bytes(),
            key.as_bytes(),
            "the given certificate",
            "the given key",
        )?));
        Ok(())
    })
}

/// Restricts the TLS 1.2 ciphers, with an OpenSSL cipher string ("-ALL:HIGH",
/// "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"...). Available: the ECDHE
/// suites with AES-GCM or ChaCha20-Poly1305; other names are ignored. A list selecting none
/// of them gives NATS_SSL_ERROR; NULL or empty: NATS_INVALID_ARG. TLS 1.3 suites are set with
/// `natsOptions_SetCipherSuites`.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetCiphers(opts: *mut natsOptions, ciphers: *const c_char) -> natsStatus {
    with_opts("natsOptions_SetCiphers", opts, |o| {
        let list = non_empty(ciphers, "ciphers")?;
        o.tls.tls12_suites = Some(tls::parse_ciphers(list)?);
        Ok(())
    })
}

/// Restricts the TLS 1.3 cipher suites ("TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
/// TLS_AES_128_GCM_SHA256 is the third available). Unknown names are ignored; a list naming
/// none of them gives NATS_SSL_ERROR; NULL or empty: NATS_INVALID_ARG.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetCipherSuites(opts: *mut natsOptions, ciphers: *const c_char) -> natsStatus {
    with_opts("natsOptions_SetCipherSuites", opts, |o| {
        let list = non_empty(ciphers, "cipher suites")?;
        o.tls.tls13_suites = Some(tls::parse_cipher_suites(list)?);
        Ok(())
    })
}

/// Sets the host name the server certificate must match (and sent as SNI) instead of the
/// URL's host. NULL or empty restores the URL's host.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SetExpectedHostname(opts: *mut natsOptions, hostname: *const c_char) -> natsStatus {
    with_opts("natsOptions_SetExpectedHostname", opts, |o| {
        let h = opt_str(hostname, "hostname", natsStatus::NATS_INVALID_ARG)?;
        o.tls.expected_hostname = h.filter(|h| !h.is_empty()).map(str::to_string);
        Ok(())
    })
}

/// Skips the verification of the server certificate (and of its host name). Insecure: for
/// tests only. The server must still prove it holds the certificate's key.
#[unsafe(no_mangle)]
pub extern "C" fn natsOptions_SkipServerVerification(opts: *mut natsOptions, skip: bool) -> natsStatus {
    with_opts("natsOptions_SkipServerVerification", opts, |o| {
        o.tls.skip_verify = skip;
        Ok(())
    })
}

/// Signs `input` with an encoded NKEY seed (ed25519). On success `*signature` receives 64
/// bytes allocated with `malloc` (release them with `free`) and `*signatureLength` 64. A seed
/// that does not decode gives NATS_ERR; NULL or empty arguments NATS_INVALID_ARG. The decoded
/// key is wiped from memory before returning. Does not need `nats_Open`.
#[unsafe(no_mangle)]
pub extern "C" fn nats_Sign(
    encodedSeed: *const c_char,
    input: *const c_char,
    signature: *mut *mut c_uchar,
    signatureLength: *mut c_int,
) -> natsStatus {
    guard("nats_Sign", || {
        let seed = non_empty(encodedSeed, "seed")?;
        let input = match opt_str(input, "input", natsStatus::NATS_INVALID_ARG) {
            Ok(Some(s)) if !s.is_empty() => s,
            // Non-UTF-8 input is still bytes to sign.
            Err(_) => {
                // SAFETY: non-NULL (opt_str only fails on non-NULL invalid UTF-8).
                let bytes = unsafe { CStr::from_ptr(input) }.to_bytes();
                return sign_into(seed, bytes, signature, signatureLength);
            }
            _ => return Err(invalid_arg("input can't be NULL nor empty")),
        };
        sign_into(seed, input.as_bytes(), signature, signatureLength)
    })
}

fn sign_into(seed: &str, msg: &[u8], signature: *mut *mut c_uchar, signatureLength: *mut c_int) -> Result<()> {
    if signature.is_null() || signatureLength.is_null() {
        return Err(invalid_arg("signature and signatureLength must not be NULL"));
    }
    let sig = auth::sign(seed, msg)?;
    // SAFETY: plain allocation, checked below.
    let p = unsafe { libc::malloc(sig.len()) } as *mut c_uchar;
    if p.is_null() {
        return Err(Error::new(natsStatus::NATS_NO_MEMORY, "out of memory"));
    }
    // SAFETY: `p` has room for the 64 bytes.
    unsafe { std::ptr::copy_nonoverlapping(sig.as_ptr(), p, sig.len()) };
    put(signature, p);
    put(signatureLength, sig.len() as c_int);
    Ok(())
}

/// Signs `message` with the user seed of the connection's credentials: the files given to
/// `natsOptions_SetUserCredentialsFromFiles` (or the seed file of
/// `natsOptions_SetNKeyFromSeed`), read again for this call and wiped after. Writes the
/// 64-byte signature to `sig`. NATS_ERR when the connection has no such file;
/// NATS_INVALID_ARG for NULL `nc` or `sig`, or a NULL message with a non-zero length.
#[unsafe(no_mangle)]
pub extern "C" fn natsConnection_Sign(nc: *mut natsConnection, message: *const c_uchar, messageLen: c_int, sig: *mut c_uchar) -> natsStatus {
    guard("natsConnection_Sign", || {
        let conn = conn_of(nc)?;
        if sig.is_null() {
            return Err(invalid_arg("sig must not be NULL"));
        }
        let msg = super::boundary::data(message, messageLen)?;
        let s = auth::connection_sign(conn, msg)?;
        // SAFETY: the caller provides a 64-byte array.
        unsafe { std::ptr::copy_nonoverlapping(s.as_ptr(), sig, s.len()) };
        Ok(())
    })
}
