//! The message catalog is compiled in by rust-i18n's macro, which cargo does
//! not know reads `assets/locales/`: this tells cargo to rebuild when it changes.
fn main() {
    println!("cargo:rerun-if-changed=assets/locales");
}
