fn main() {
    // The shared library answers to the same SONAME as nats.c 3.4, so binaries linked
    // against Debian's libnats.so.3.4 load it unchanged.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libnats.so.3.4");
    println!("cargo:rerun-if-changed=build.rs");
}
