//! The `tokenward` binary: parses arguments, runs, and maps errors to exit code 2 in
//! one place.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match tokenward::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                tokenward::EXIT_ERROR
            } else {
                0
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match tokenward::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "tokenward: error: {}",
                tokenward::escape::for_display(&tokenward::walk::one_line(&format!("{e:#}")))
            );
            ExitCode::from(tokenward::EXIT_ERROR)
        }
    }
}
