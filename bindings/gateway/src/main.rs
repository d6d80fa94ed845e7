//! `clyra-gateway --config FILE` runs the gateway; `clyra-gateway --check-config FILE` checks a
//! configuration and starts nothing (exit 0 valid, 4 invalid).

use std::path::PathBuf;
use std::process::ExitCode;

use clyra_gateway::config::Config;
use clyra_gateway::server;

const USAGE: &str = "usage: clyra-gateway --config FILE | --check-config FILE";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, file] if flag == "--check-config" => check(&PathBuf::from(file)),
        [flag, file] if flag == "--config" => run(PathBuf::from(file)),
        [flag] if flag == "--help" || flag == "-h" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE} (gateway.usage)");
            ExitCode::from(4)
        }
    }
}

/// Loads the configuration and every file it names, as a start would, without listening.
fn check(path: &std::path::Path) -> ExitCode {
    let loaded = Config::load(path).and_then(|c| {
        let (secret, key, policy, trust, token) = (
            c.secret_file.clone(),
            c.evidence.signing_key.clone(),
            c.policy.clone(),
            c.approvals.as_ref().map(|a| a.trust.clone()),
            c.admin_token_file.clone(),
        );
        for (what, p) in [
            ("secret_file", Some(secret)),
            ("signing_key", Some(key)),
            ("policy", policy),
            ("approvals.trust", trust),
            ("admin_token_file", token),
        ] {
            if let Some(p) = p {
                if !p.is_file() {
                    return Err(clyra_gateway::error::GatewayError::new(
                        clyra_gateway::error::CODE_CONFIG_FILE,
                        format!("{what} `{}` is not a readable file", p.display()),
                    ));
                }
            }
        }
        Ok(c)
    });
    match loaded {
        Ok(c) => {
            println!(
                "{}: valid ({} upstreams, {} routes)",
                path.display(),
                c.upstreams.len(),
                c.routes.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(4)
        }
    }
}

fn run(path: PathBuf) -> ExitCode {
    let config = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(4);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("clyra-gateway: no runtime: {e} (gateway.io)");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let running = match server::start(config).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(4);
            }
        };
        println!("clyra-gateway listening on {}", running.addr);
        let _ = std::io::Write::flush(&mut std::io::stdout());
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("clyra-gateway: signals: {e} (gateway.io)");
                    return ExitCode::from(1);
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        eprintln!("clyra-gateway: stopping; sealing the open window");
        running.task.abort();
        if let Err(e) = running.gateway.evidence.seal_now().await {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
        clyra_gateway::stages::dump();
        ExitCode::SUCCESS
    })
}
