//! Tauri's build step, and the handler list generated from `commands.rs` (`bridge.rs`).

#[path = "bridge.rs"]
mod bridge;

fn main() {
    tauri_build::build();
    println!("cargo:rerun-if-changed=src-tauri/commands.rs");
    println!("cargo:rerun-if-changed=src-tauri/bridge.rs");
    let source = std::fs::read_to_string("src-tauri/commands.rs").expect("src-tauri/commands.rs");
    let commands = bridge::commands(&source).unwrap_or_else(|e| panic!("{e}"));
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("handlers.rs"), bridge::handler_list(&commands))
        .expect("writing the handler list");
}
