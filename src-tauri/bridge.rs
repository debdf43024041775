//! The bridge between the window and Rust, generated from the commands themselves: every
//! `#[tauri::command]` function of `commands.rs` becomes an entry of the handler list (written
//! by the build script, included by `lib.rs`) and a typed TypeScript wrapper in
//! `ui/src/gen/commands.ts` (written by the `types` test, which also fails when that file is
//! stale). A new command is written in `commands.rs` and used where the window needs it;
//! nothing in between is written by hand.
//!
//! The build script and the test both read `commands.rs` with `syn`, through this file.

use std::collections::BTreeSet;

/// A command as the window calls it.
pub struct Command {
    /// The Rust function's name (the name the window invokes).
    pub name: String,
    /// Its doc comment, line by line.
    pub doc: Vec<String>,
    /// The arguments the window passes (the ones Tauri injects are left out): name and type.
    pub args: Vec<(String, syn::Type)>,
    /// What it answers (`Result`'s value, or the plain return type); none for nothing.
    pub answer: Option<syn::Type>,
}

/// Arguments Tauri fills in itself, never passed by the window.
const INJECTED: &[&str] = &["State", "AppHandle", "Window", "WebviewWindow", "Webview"];

/// The commands of `source` (the text of `commands.rs`), in the order they are written.
pub fn commands(source: &str) -> Result<Vec<Command>, String> {
    let file = syn::parse_file(source).map_err(|e| format!("commands.rs does not parse: {e}"))?;
    let mut out = Vec::new();
    for item in file.items {
        let syn::Item::Fn(f) = item else { continue };
        let is_command = f.attrs.iter().any(|a| {
            let p = a.path();
            p.segments.len() == 2
                && p.segments[0].ident == "tauri"
                && p.segments[1].ident == "command"
        });
        if !is_command {
            continue;
        }
        let doc = f
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .filter_map(|a| match &a.meta {
                syn::Meta::NameValue(nv) => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value().trim().to_owned()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let mut args = Vec::new();
        for input in &f.sig.inputs {
            let syn::FnArg::Typed(arg) = input else {
                return Err(format!("{}: a command takes no self", f.sig.ident));
            };
            if INJECTED.contains(&last_ident(&arg.ty).as_str()) {
                continue;
            }
            let syn::Pat::Ident(name) = &*arg.pat else {
                return Err(format!("{}: name every argument", f.sig.ident));
            };
            args.push((name.ident.to_string(), (*arg.ty).clone()));
        }
        let answer = match &f.sig.output {
            syn::ReturnType::Default => None,
            syn::ReturnType::Type(_, ty) => match generic_args(ty).as_slice() {
                [ok, ..] if ["Res", "Result"].contains(&last_ident(ty).as_str()) => {
                    Some(ok.clone())
                }
                _ => Some((**ty).clone()),
            },
        };
        out.push(Command {
            name: f.sig.ident.to_string(),
            doc,
            args,
            answer,
        });
    }
    Ok(out)
}

/// The handler list `lib.rs` includes: `tauri::generate_handler![commands::a, …]`.
#[allow(dead_code)] // the build script's half
pub fn handler_list(commands: &[Command]) -> String {
    let names: Vec<String> = commands
        .iter()
        .map(|c| format!("commands::{}", c.name))
        .collect();
    format!("tauri::generate_handler![{}]\n", names.join(", "))
}

/// `ui/src/gen/commands.ts`: a typed wrapper per command. `declared` is the generated types
/// file, which must declare every type a command names (else the error names the missing ones).
#[allow(dead_code)] // the test's half
pub fn typescript(commands: &[Command], declared: &str) -> Result<String, String> {
    let mut named = BTreeSet::new();
    let mut body = String::new();
    for c in commands {
        let mut params = Vec::new();
        let mut keys = Vec::new();
        for (name, ty) in &c.args {
            let key = camel(name);
            // A reserved word cannot name a parameter; the key the command reads keeps it.
            let local = if RESERVED.contains(&key.as_str()) {
                format!("{key}_")
            } else {
                key.clone()
            };
            params.push(format!("{local}: {}", ts_type(ty, &mut named)?));
            keys.push(if local == key {
                key
            } else {
                format!("{key}: {local}")
            });
        }
        let answer = match &c.answer {
            Some(ty) => ts_type(ty, &mut named)?,
            None => "void".into(),
        };
        match c.doc.as_slice() {
            [] => {}
            [one] => body.push_str(&format!("  /** {one} */\n")),
            lines => {
                body.push_str("  /**\n");
                for l in lines {
                    body.push_str(&format!("   * {l}\n").replace(" \n", "\n"));
                }
                body.push_str("   */\n");
            }
        }
        let args = if keys.is_empty() {
            String::new()
        } else {
            format!(", {{ {} }}", keys.join(", "))
        };
        body.push_str(&format!(
            "  {}: ({}) => invoke<{answer}>(\"{}\"{args}),\n",
            camel(&c.name),
            params.join(", "),
            c.name
        ));
    }
    named.remove("Channel");
    let missing: Vec<&String> = named
        .iter()
        .filter(|n| !declared.contains(&format!("export type {n} ")))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "commands name types ui/src/gen/types.ts does not declare: {missing:?} (add each to the list in src-tauri/types.rs)"
        ));
    }
    let imports: Vec<&str> = named.iter().map(String::as_str).collect();
    Ok(format!(
        "// Generated from src-tauri/commands.rs by src-tauri/bridge.rs. Do not edit.\n\
         // Regenerate: CARELINE_BLESS=1 cargo test -p careline-desktop --lib types\n\n\
         import {{ Channel, invoke }} from \"@tauri-apps/api/core\";\n\
         import type {{ {} }} from \"./types\";\n\n\
         /** Every command of the desk, as the window calls it. */\n\
         export const commands = {{\n{body}}};\n",
        imports.join(", ")
    ))
}

const RESERVED: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "let",
    "static",
    "await",
];

/// `thread_after` → `threadAfter`.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for ch in snake.chars() {
        if ch == '_' {
            up = true;
        } else if up {
            out.extend(ch.to_uppercase());
            up = false;
        } else {
            out.push(ch);
        }
    }
    out
}

fn last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last(),
        syn::Type::Reference(r) => last_segment(&r.elem),
        _ => None,
    }
}

fn last_ident(ty: &syn::Type) -> String {
    last_segment(ty)
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

fn generic_args(ty: &syn::Type) -> Vec<syn::Type> {
    match last_segment(ty).map(|s| &s.arguments) {
        Some(syn::PathArguments::AngleBracketed(a)) => a
            .args
            .iter()
            .filter_map(|g| match g {
                syn::GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The TypeScript of a Rust type as serde sends it; named types are collected for the import.
fn ts_type(ty: &syn::Type, named: &mut BTreeSet<String>) -> Result<String, String> {
    if let syn::Type::Tuple(t) = ty {
        if t.elems.is_empty() {
            return Ok("void".into());
        }
    }
    let name = last_ident(ty);
    let inner = generic_args(ty);
    Ok(match (name.as_str(), inner.as_slice()) {
        ("String" | "str" | "PathBuf" | "Path" | "Uuid", []) => "string".into(),
        // chrono's DateTime<Utc> travels as RFC 3339 text.
        ("DateTime", [_]) => "string".into(),
        (
            "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "f32" | "f64",
            [],
        ) => "number".into(),
        ("bool", []) => "boolean".into(),
        ("Option", [t]) => format!("{} | null", ts_type(t, named)?),
        ("Vec", [t]) => match ts_type(t, named)? {
            s if s.contains(' ') => format!("({s})[]"),
            s => format!("{s}[]"),
        },
        ("Channel", [t]) => {
            named.insert("Channel".into());
            format!("Channel<{}>", ts_type(t, named)?)
        }
        (n, []) if n.starts_with(|c: char| c.is_ascii_uppercase()) => {
            named.insert(n.to_owned());
            n.to_owned()
        }
        _ => {
            return Err(format!(
                "no TypeScript for the Rust type `{}` (teach src-tauri/bridge.rs)",
                quote_type(ty)
            ))
        }
    })
}

/// The type as written, for an error message.
fn quote_type(ty: &syn::Type) -> String {
    quote::ToTokens::to_token_stream(ty).to_string()
}

#[cfg(test)]
mod tests {
    const SOURCE: &str = r#"
        /// Saves it.
        /// Twice.
        #[tauri::command]
        pub async fn save_it(app: AppHandle, shell: State<'_, Shell>, export: Export, ids: Option<Vec<Uuid>>) -> Res<Vec<Option<Thing>>> { todo!() }
        #[tauri::command]
        pub fn ping(shell: State<'_, Shell>) {}
        pub fn not_a_command(x: Weird<u8, u8>) {}
    "#;

    #[test]
    fn commands_become_typed_wrappers_with_their_docs() {
        let commands = super::commands(SOURCE).unwrap();
        assert_eq!(
            commands.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["save_it", "ping"]
        );
        assert_eq!(
            super::handler_list(&commands),
            "tauri::generate_handler![commands::save_it, commands::ping]\n"
        );
        let ts = super::typescript(
            &commands,
            "export type Export = {};\nexport type Thing = {};\n",
        )
        .unwrap();
        assert!(
            ts.contains("import type { Export, Thing } from \"./types\";"),
            "{ts}"
        );
        assert!(
            ts.contains("  /**\n   * Saves it.\n   * Twice.\n   */\n  saveIt: (export_: Export, ids: string[] | null) => invoke<(Thing | null)[]>(\"save_it\", { export: export_, ids }),\n"),
            "{ts}"
        );
        assert!(
            ts.contains("  ping: () => invoke<void>(\"ping\"),\n"),
            "{ts}"
        );
    }

    #[test]
    fn a_type_the_window_does_not_know_is_an_error_naming_it() {
        let commands = super::commands(SOURCE).unwrap();
        let err = super::typescript(&commands, "export type Export = {};\n").unwrap_err();
        assert!(err.contains("\"Thing\""), "{err}");
        let odd = super::commands("#[tauri::command]\nfn f(x: HashMap<String, u8>) {}").unwrap();
        let err = super::typescript(&odd, "").unwrap_err();
        assert!(err.contains("HashMap"), "{err}");
    }
}
