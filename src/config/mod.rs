//! Config: load YAML files, interpolate `${VAR}`, validate, and report every problem at once.
//!
//! `load` is the stage's only entry point: it reads files, runs yaml → interpolate → validate
//! → model → semantic for each, and returns either the typed providers or all diagnostics.
//! Nothing here talks to a platform or prints; the caller renders `ConfigErrors` with miette.

mod as_written;
mod diagnostic;
mod interpolate;
pub mod model;
mod schema;
mod semantic;
mod sensitive;
mod snippet;
pub(crate) mod suggest;
mod tree;
mod validate;
mod yaml;

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

pub use as_written::WrittenProvider;
pub use diagnostic::{Code, ConfigDiagnostic};
pub use schema::json_schema;

use crate::mask::Secrets;
use diagnostic::{SourceFile, Span};
use interpolate::Interpolator;
use model::{ConfigFile, ProviderConfig, StateConfig};
use semantic::ProviderNode;
use tree::Node;

/// The config of one run: every provider of every file, checked.
#[derive(Debug)]
pub struct LoadedConfig {
    /// Interpolated and validated; files in argument order, directory entries sorted by name.
    pub providers: Vec<ProviderConfig>,
    /// Each provider block's `endpoint` and `auth` as written (before interpolation), in the
    /// order of `providers`.
    pub written: Vec<WrittenProvider>,
    /// Every interpolated value, environment value and value marked secret.
    pub secrets: Secrets,
    /// Every file read, in order (the first one decides the default state-file location).
    pub files: Vec<PathBuf>,
    /// What is worth saying about a valid config (secrets too short to mask reliably).
    pub warnings: Vec<ConfigDiagnostic>,
    /// The `state:` block (at most one file has one) and the file it is in.
    pub state: Option<(StateConfig, PathBuf)>,
    /// Provider blocks and resources written in the config, counted in the files themselves
    /// (so a block left out of `providers` for an unset variable still counts).
    pub counts: Counts,
}

/// How many provider blocks and resources the config files hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Provider blocks.
    pub providers: usize,
    /// Servers and instances, over every provider block.
    pub resources: usize,
}

/// How `load` treats what `validate` can check without the run's secrets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Report unset `${VAR}` as warnings, not errors (`validate` without `--strict`). A file
    /// with an unset variable then adds no provider to `providers`: its values have holes.
    pub unset_variables_warn: bool,
}

/// Every problem found in the config, rendered together by miette.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{}", headline(.diagnostics.len()))]
pub struct ConfigErrors {
    #[related]
    diagnostics: Vec<ConfigDiagnostic>,
}

fn headline(count: usize) -> String {
    match count {
        1 => "the config has 1 problem".to_owned(),
        n => format!("the config has {n} problems"),
    }
}

impl ConfigErrors {
    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.diagnostics.len()
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }

    /// The problems, in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = &ConfigDiagnostic> {
        self.diagnostics.iter()
    }
}

/// Loads and checks the config files at `paths` (a directory means its `*.yaml`/`*.yml`).
/// `env` looks up environment variables; the CLI passes `|k| std::env::var(k).ok()`.
pub fn load(
    paths: &[PathBuf],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<LoadedConfig, ConfigErrors> {
    load_with(paths, env, LoadOptions::default())
}

/// `load`, with unset variables treated as `options` says.
pub fn load_with(
    paths: &[PathBuf],
    env: &dyn Fn(&str) -> Option<String>,
    options: LoadOptions,
) -> Result<LoadedConfig, ConfigErrors> {
    let schema = schema::config_schema();
    let mut diagnostics = Vec::new();
    let mut secrets = Secrets::default();
    let mut providers = Vec::new();
    let mut written = Vec::new();
    let mut warnings = Vec::new();
    let mut state: Option<(StateConfig, PathBuf)> = None;
    let mut documents: Vec<(SourceFile, Node)> = Vec::new();
    let sources = read_sources(paths, &mut diagnostics);
    let files = sources.iter().map(|f| f.path.clone()).collect();

    for file in sources {
        let before = diagnostics.len();
        let Some(raw) = yaml::parse(&file, &mut diagnostics) else {
            continue;
        };
        let written_here = as_written::collect(&raw);
        let mut unset = Vec::new();
        let mut tree = Interpolator {
            file: &file,
            env,
            secrets: &mut secrets,
            diags: &mut diagnostics,
            unset_warnings: options.unset_variables_warn.then_some(&mut unset),
        }
        .resolve(raw);
        let unresolved = !unset.is_empty();
        // Secret-marked values leave the snippets before any check can show them.
        let sensitive = sensitive::mark(&mut tree, &file, env);
        let file = if sensitive.hidden.is_empty() {
            file
        } else {
            let shown = file.with_text(sensitive::blank_out(&file.text, &sensitive.hidden));
            for diagnostic in &mut diagnostics[before..] {
                diagnostic.show_text_of(&shown);
            }
            shown
        };
        warnings.extend(
            unset
                .into_iter()
                .chain(sensitive.warnings)
                .map(|mut warning| {
                    warning.show_text_of(&file);
                    warning
                }),
        );
        // The model is read on another core while the schema check runs: a fleet's config
        // takes both about as long. It is kept only when the check finds nothing.
        let shared = &tree;
        let (model, found) = side_by_side(
            || serde_json::from_value::<ConfigFile>(shared.to_json()),
            || validate::validate(shared, &schema, &file),
        );
        diagnostics.extend(found);
        if diagnostics.len() == before && !unresolved {
            match model {
                Ok(config) => {
                    let dir = file.path.parent().unwrap_or(Path::new("."));
                    providers.extend(config.providers.into_iter().map(|mut provider| {
                        provider.resolve_paths(dir);
                        provider
                    }));
                    written.extend(written_here);
                    if let Some(block) = config.state {
                        state.get_or_insert((block, file.path.clone()));
                    }
                }
                // serde's message may quote a value, and values may be secret.
                Err(error) => diagnostics.push(
                    file.error(
                        Code::Invalid,
                        format!(
                            "the config does not fit mcpform's model: {}",
                            secrets.mask_text(&error.to_string())
                        ),
                    )
                    .at(tree.head(&file), "in this document")
                    .help(
                        "the schema accepted what the model rejects, which is a bug in mcpform; \
                         please report it",
                    ),
                ),
            }
        }
        documents.push((file, tree));
    }

    // The semantic rules read the tree defensively (a value of the wrong type is skipped),
    // so they run on invalid files too and every problem is reported in one go.
    let provider_nodes: Vec<ProviderNode> = documents
        .iter()
        .flat_map(|(file, tree)| {
            let providers = tree.get("providers").map_or(&[][..], Node::items);
            providers
                .iter()
                .map(move |node| ProviderNode { file, node })
        })
        .collect();
    semantic::check_provider_names(&provider_nodes, &mut diagnostics);
    check_one_state_block(&documents, &mut diagnostics);
    for provider in &provider_nodes {
        semantic::check_provider(*provider, &mut diagnostics);
        semantic::warn_provider(*provider, &mut warnings);
    }
    let counts = Counts {
        providers: provider_nodes.len(),
        resources: provider_nodes
            .iter()
            .map(|p| {
                let servers = p.node.get("servers").map_or(0, |n| n.items().len());
                servers + p.node.get("instances").map_or(0, |n| n.items().len())
            })
            .sum(),
    };

    if !diagnostics.is_empty() {
        diagnostics.sort_by_key(ConfigDiagnostic::order);
        // An aliased node that is wrong is reported once per use; one report is enough.
        diagnostics.dedup_by(|a, b| {
            a.order() == b.order() && a.code() == b.code() && a.message() == b.message()
        });
        return Err(ConfigErrors { diagnostics });
    }
    warnings.sort_by_key(ConfigDiagnostic::order);
    for provider in &providers {
        register_secrets(provider, &mut secrets);
    }
    if let Some((StateConfig::Postgres(pg), _)) = &state {
        register_url_secret(&pg.url, &mut secrets);
    }
    Ok(LoadedConfig {
        providers,
        written,
        secrets,
        files,
        warnings,
        state,
        counts,
    })
}

/// Runs `side` on another thread while `main` runs on this one; both here, one after the other,
/// when no thread can be started.
fn side_by_side<A: Send, B>(
    side: impl FnOnce() -> A + Send + Copy,
    main: impl FnOnce() -> B,
) -> (A, B) {
    std::thread::scope(
        |scope| match std::thread::Builder::new().spawn_scoped(scope, side) {
            Ok(running) => {
                let main = main();
                let side = running
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (side, main)
            }
            Err(_) => (side(), main()),
        },
    )
}

/// One run has one state: a second `state:` block (in another file) is an error.
fn check_one_state_block(documents: &[(SourceFile, Node)], out: &mut Vec<ConfigDiagnostic>) {
    let mut blocks = documents
        .iter()
        .filter_map(|(file, tree)| Some((file, tree.entry("state")?)));
    let Some((first, _)) = blocks.next() else {
        return;
    };
    for (file, entry) in blocks {
        out.push(
            file.error(
                Code::Invalid,
                "a second `state` block: the run's state is configured once",
            )
            .at(entry.key_span, "another `state` block")
            .help(format!(
                "keep the one in `{}` and remove this one",
                first.path.display()
            )),
        );
    }
}

/// A connection URL is secret whole; its password also on its own, wherever it shows up.
fn register_url_secret(url: &str, secrets: &mut Secrets) {
    secrets.add_value(url.to_owned());
    if let Ok(parsed) = url::Url::parse(url)
        && let Some(password) = parsed.password()
    {
        secrets.add_value(password.to_owned());
        if let Ok(decoded) = percent_decode(password) {
            secrets.add_value(decoded);
        }
    }
    // libpq key/value form: `host=… password=…`.
    for pair in url.split_whitespace() {
        if let Some(password) = pair.strip_prefix("password=") {
            secrets.add_value(password.trim_matches('\'').to_owned());
        }
    }
}

fn percent_decode(text: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes: Vec<u8> = url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default();
    String::from_utf8(bytes)
}

/// Values that are secret whether or not they were interpolated.
fn register_secrets(provider: &ProviderConfig, secrets: &mut Secrets) {
    match provider {
        ProviderConfig::Pais(p) => {
            if let Some(auth) = &p.auth {
                if let Some(bearer) = &auth.bearer {
                    secrets.add_value(bearer.clone());
                }
                if let Some(oidc) = &auth.oidc {
                    // Every value under `auth` is secret, the identity provider's URLs too.
                    let values = [&oidc.token_url, &oidc.issuer, &oidc.client_secret]
                        .into_iter()
                        .chain([&oidc.username, &oidc.password, &oidc.scope])
                        .flatten()
                        .chain([&oidc.client_id]);
                    for value in values {
                        secrets.add_value(value.clone());
                    }
                }
            }
            for header in p.servers.iter().flat_map(|s| s.headers.iter().flatten()) {
                if header.secret {
                    secrets.add_value(header.value.clone());
                }
            }
        }
        ProviderConfig::Idun(p) => {
            if let Some(auth) = &p.auth {
                secrets.add_value(auth.password.clone());
            }
            for server in &p.servers {
                let mcp = &server.mcp_server;
                for value in mcp.headers.values().chain(mcp.env.values()) {
                    secrets.add_value(value.clone());
                }
            }
        }
        ProviderConfig::Hasmcp(p) => {
            if let Some(auth) = &p.auth {
                secrets.add_value(auth.bearer.clone());
            }
        }
        ProviderConfig::Klavis(p) => {
            if let Some(auth) = &p.auth {
                secrets.add_value(auth.bearer.clone());
            }
        }
    }
}

/// Reads every file the paths name; problems (missing, unreadable, not UTF-8) become diagnostics.
fn read_sources(paths: &[PathBuf], diagnostics: &mut Vec<ConfigDiagnostic>) -> Vec<SourceFile> {
    let mut sources = Vec::new();
    let mut index = 0;
    let mut next_index = || {
        index += 1;
        index - 1
    };
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => match yaml_files_in(path) {
                Ok(entries) if entries.is_empty() => diagnostics.push(
                    ConfigDiagnostic::for_path(
                        Code::NoConfigFiles,
                        format!("no `*.yaml` or `*.yml` files in `{}`", path.display()),
                        next_index(),
                    )
                    .help(
                        "put the config files in that directory, or pass a file with `-c/--config`",
                    ),
                ),
                Ok(entries) => {
                    for entry in entries {
                        sources.extend(read_source(entry, next_index(), diagnostics));
                    }
                }
                Err(error) => diagnostics.push(read_error(path, &error, next_index())),
            },
            Ok(_) => sources.extend(read_source(path.clone(), next_index(), diagnostics)),
            Err(error) => diagnostics.push(read_error(path, &error, next_index())),
        }
    }
    sources
}

fn yaml_files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_yaml = path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml");
        if is_yaml && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_source(
    path: PathBuf,
    index: usize,
    diagnostics: &mut Vec<ConfigDiagnostic>,
) -> Option<SourceFile> {
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            diagnostics.push(read_error(&path, &error, index));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Some(SourceFile::new(path, text, index)),
        Err(error) => {
            // The lossy text keeps the valid prefix intact, so the offset still points right.
            let at = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            let file = SourceFile::new(path, text, index);
            diagnostics.push(
                file.error(
                    Code::NotUtf8,
                    format!("`{}` is not UTF-8 text", file.path.display()),
                )
                .at(Span::new(at, at), "invalid UTF-8 here")
                .help("save the file as UTF-8"),
            );
            None
        }
    }
}

fn read_error(path: &Path, error: &std::io::Error, index: usize) -> ConfigDiagnostic {
    if error.kind() == ErrorKind::NotFound {
        ConfigDiagnostic::for_path(
            Code::FileNotFound,
            format!("config file `{}` not found", path.display()),
            index,
        )
        .help(
            "check the path, or create the file; without `-c/--config`, mcpform reads \
             `mcpform.yaml`",
        )
    } else {
        ConfigDiagnostic::for_path(
            Code::ReadError,
            format!("cannot read `{}`: {error}", path.display()),
            index,
        )
        .help("check that the path is readable")
    }
}

#[cfg(test)]
mod tests;
